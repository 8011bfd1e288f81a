// A graphql-ws client (the library Apollo Client, urql and Relay use) subscribed to
// `leadCreated`: `node subscribe.mjs URL CONNECTION_PARAMS_JSON [APP]`. It prints one JSON line
// per event: {"connected":true}, {"next":…}, {"error":…}, {"closed":code}, and exits when the
// socket closes.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, params, app] = process.argv.slice(2);
const print = (event) => console.log(JSON.stringify(event));
const client = createClient({
  url: url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: JSON.parse(params ?? '{}'),
  lazy: false,
  retryAttempts: 0,
  on: {
    connected: () => print({ connected: true }),
    closed: (event) => {
      print({ closed: event.code, reason: event.reason });
      process.exit(0);
    },
  },
});
client.subscribe(
  {
    query: 'subscription New($app: String) { leadCreated(app: $app) { id email app host } }',
    variables: { app: app ?? null },
  },
  {
    next: (value) => print({ next: value }),
    error: (error) => print({ error: error instanceof Array ? error : String(error?.code ?? error) }),
    complete: () => print({ complete: true }),
  },
);
