/*
 * learngraph: boots the vendored GraphiQL (UMD build) against our endpoint.
 *
 * - queries and mutations: POST to the GraphQL path with credentials: 'include'
 *   so the session cookie is sent;
 * - subscriptions: WebSocket on the same path (ws:// or wss:// to match the
 *   page), graphql-transport-ws protocol via the vendored graphql-ws client.
 *
 * Kept in a file (not inline) so a strict Content-Security-Policy
 * (script-src 'self') does not block it.
 */
(function () {
  "use strict";

  var DEFAULT_QUERY = "{ viewer { id } }\n";
  var STORAGE_QUERY_KEY = "graphiql:query"; // GraphiQL's own localStorage key

  var container = document.getElementById("graphiql");
  var graphqlPath = container.getAttribute("data-graphql-path") || "/graphql";

  var httpUrl = new URL(graphqlPath, window.location.href);
  httpUrl.hash = "";
  httpUrl.search = "";
  var wsUrl = new URL(httpUrl.toString());
  wsUrl.protocol = httpUrl.protocol === "https:" ? "wss:" : "ws:";

  function fetchWithCredentials(input, init) {
    return window.fetch(
      input,
      Object.assign({}, init || {}, { credentials: "include" })
    );
  }

  // One graphql-ws client per set of editor headers: the headers from the
  // "Headers" tab go out as connectionParams (cookies go with the handshake
  // anyway). Lazy: the socket opens on the first subscription only.
  var wsClient = null;
  var wsClientKey = null;
  function wsClientFor(headers) {
    var params = headers || {};
    var key = JSON.stringify(params);
    if (wsClient === null || key !== wsClientKey) {
      if (wsClient !== null) {
        wsClient.dispose();
      }
      wsClient = graphqlWs.createClient({
        url: wsUrl.toString(),
        lazy: true,
        connectionParams: params,
      });
      wsClientKey = key;
    }
    return wsClient;
  }

  function fetcher(graphQLParams, opts) {
    var inner = GraphiQL.createFetcher({
      url: httpUrl.toString(),
      fetch: fetchWithCredentials,
      wsClient: wsClientFor(opts && opts.headers),
    });
    return inner(graphQLParams, opts);
  }

  function nonBlank(value) {
    return typeof value === "string" && value.trim() !== "" ? value : null;
  }

  function storedQuery() {
    try {
      return nonBlank(window.localStorage.getItem(STORAGE_QUERY_KEY));
    } catch (e) {
      return null; // storage disabled
    }
  }

  var search = new URLSearchParams(window.location.search);
  var initialQuery =
    nonBlank(search.get("query")) || storedQuery() || DEFAULT_QUERY;

  function App() {
    var state = React.useState(initialQuery);
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      query: state[0],
      onEditQuery: state[1],
      variables: search.get("variables") || undefined,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    });
  }

  ReactDOM.createRoot(container).render(React.createElement(App));
})();
