// Starts GraphiQL (GraphiQL 3.8.3, React 18.3.1, served from this host: see LICENSES.txt) against
// this server's /graphql. A file of its own, as the page's Content-Security-Policy allows no
// inline script. Send a credential with the "Headers" tab: {"X-Api-Key": "btk_…"}.
/* global React, ReactDOM, GraphiQL */
const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher, defaultEditorToolsVisibility: true }),
);
