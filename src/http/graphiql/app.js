// The playground's start-up, served as /graphiql/app.js so that the page's
// Content-Security-Policy needs no 'unsafe-inline' (see src/http/mod.rs).
const here = (path, ws) => {
  const url = new URL(path, window.location.origin);
  if (ws) url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
};
// Ready-made examples, one tab each. Sign in with the `login` tab, then
// put {"Authorization": "Bearer <token>"} in the Headers pane.
const tabs = [
  { query: `# Thủ tục hành chính: search without diacritics, with filters and a cursor.
query TimThuTuc {
  procedures(filter: { text: "cap giay phep xay dung" }, first: 10) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        code name statusLabel processingHours
        sector { name } field { name }
        current { onlineServiceLevel totalFeeVnd agencies { name } }
      }
    }
  }
}` },
  { query: `# The agency tree: the province's roots and two levels below.
query CoQuan {
  agencies(filter: { rootsOnly: true }) {
    edges { node { code name levelLabel children { code name kindLabel children { name } } } }
  }
}` },
  { query: `# Sign in (demo accounts are listed in the README), then use the token.
mutation DangNhap {
  login(identifier: "congdan@demo.motcua.vn", password: "motcua@2026") {
    token expiresAt account { fullName roles { role roleLabel } }
  }
}` },
  { query: `# Who am I? Needs the Authorization header.
query ToiLaAi { me { fullName kind email roles { roleLabel agency { name } } } }` },
  { query: `# Analysts (public, no login): this year's on-time rate per agency.
query TyLeDungHan {
  statistics(groupBy: AGENCY) {
    from to
    total { received settled onTimeRate inProgressOverdue onlineShare }
    rows { label received settled early onTime late onTimeRate inProgressOverdue }
  }
}` },
  { query: `# Analysts (public): this year's agency ranking (Decision 766 structure) with each indicator's inputs.
query XepHangCoQuan {
  agencyEvaluation {
    from to
    weights { label points }
    agencies {
      rank agency { name } points availablePoints percent
      groups { label maxPoints points }
      indicators { label computable reason numerator denominator ratio fullAt maxPoints points }
    }
  }
}` },
  { query: `# Analysts (public): this year's results month by month, with rating shares.
query TheoThang {
  statistics(groupBy: MONTH) {
    rows { label received settled onTimeRate onlineShare rated satisfactionRate }
  }
}` },
  { query: `# Public: published answers to feedback and petitions, searched without diacritics.
query HoiDap {
  publicFeedbacks(search: "giay phep", first: 10) {
    totalCount
    edges { node { title content answer agency { name } answeredAt } }
  }
}` },
  { query: `# Analysts (signed in): feedback that is overdue, senders masked.
query PhanAnhQuaHan {
  feedbacks(filter: { overdue: true }, first: 20) {
    totalCount
    edges { node { kindLabel statusLabel dueAt agency { name } sender { name phone } } }
  }
}` },
  { query: `# Analysts: satisfaction per criterion, for the whole province.
query MucDoHaiLong {
  ratingSummary { total criteria { label levels { label count share } } }
}` },
  { query: `# Analysts (sign in as phantich@demo.motcua.vn): overdue dossiers, personal data masked.
query HoSoQuaHan {
  dossiers(filter: { overdue: true }, first: 20) {
    totalCount
    edges { node { code statusLabel dueAt settlingAgency { name } procedure { name } applicant { name phone } } }
  }
}` },
];
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({
      url: here('/graphql'),
      subscriptionUrl: here('/graphql/ws', true),
    }),
    defaultTabs: tabs,
    defaultEditorToolsVisibility: true,
  })
);
