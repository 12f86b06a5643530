// A stock Apollo Client 4 (its default HttpLink: `Accept:
// application/graphql-response+json,application/json;q=0.9`) lists
// procedures with the token it holds, then without one:
// `node apollo.mjs http://127.0.0.1:8080/graphql <token>`. Prints one JSON
// line: what each attempt got — the error's class and `extensions.code`,
// or the data.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node apollo.mjs <graphql url> <token>');
  process.exit(2);
}

const PROCEDURES = gql`
  query Procedures {
    procedures {
      totalCount
    }
  }
`;

async function attempt(headers) {
  const client = new ApolloClient({
    link: new HttpLink({ uri: url, headers }),
    cache: new InMemoryCache(),
  });
  try {
    const { data } = await client.query({ query: PROCEDURES, fetchPolicy: 'no-cache' });
    return { data };
  } catch (error) {
    return {
      error: error.constructor.name,
      graphqlErrors: CombinedGraphQLErrors.is(error),
      code: CombinedGraphQLErrors.is(error) ? error.errors[0]?.extensions?.code : undefined,
      message: error.message,
    };
  }
}

const withToken = await attempt({ authorization: `Bearer ${token}` });
const withoutToken = await attempt({});
console.log(JSON.stringify({ withToken, withoutToken }));
