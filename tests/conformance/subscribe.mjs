// A graphql-ws client (the library Apollo Client, urql and Relay use) subscribed to
// `leadCreated`: `node subscribe.mjs URL CONNECTION_PARAMS_JSON [COUNT]`, COUNT subscriptions
// (1) on one connection. It prints one JSON line per event: {"connected":true}, {"next":…},
// {"error":…}, {"closed":code}, and exits when the socket closes.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, params, count] = process.argv.slice(2);
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
for (let n = 0; n < Number(count ?? 1); n += 1) {
  client.subscribe(
    { query: 'subscription { leadCreated { id email app host } }' },
    {
      next: (value) => print({ next: value }),
      error: (error) => print({ error: Array.isArray(error) ? error : String(error?.code ?? error) }),
      complete: () => print({ complete: true }),
    },
  );
}
