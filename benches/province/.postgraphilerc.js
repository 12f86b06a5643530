// PostGraphile's options for the province bench (read from the working
// directory the bench starts it in). The connection-filter plugin's
// relation filters express "a consultation asked of this agency is open",
// part of a specialist's and a leader's work queue.
module.exports = {
  options: {
    graphileBuildOptions: {
      connectionFilterRelations: true,
    },
  },
};
