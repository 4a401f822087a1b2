// PostgreSQL with pgvector for the context store's pgvector tests: PGlite (PostgreSQL
// compiled to WASM, in memory) with its vector extension, served over the PostgreSQL
// wire protocol on 127.0.0.1. Debian's PostgreSQL has no pgvector package and CI may
// only download from package registries, so this is the pgvector npm can give us.
//
//   node tests/context/pgvector/server.mjs [port]    (default: a free port)
//
// Prints one line, the URL, once the server accepts connections; then serves until
// SIGTERM or SIGINT. PGlite is one PostgreSQL backend: every client connection shares
// its session, and pglite-socket queues their messages one at a time; sessions.mjs
// keeps connections apart where psycopg would notice.
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

import { separateSessions } from './sessions.mjs'

const port = Number(process.argv[2] ?? 0)
const db = await PGlite.create({ extensions: { vector } })
await db.exec('CREATE EXTENSION IF NOT EXISTS vector')
// The tests' pgvector_url fixture (tests/context/conftest.py) drops schema public: it
// does so only where it finds this table, outside that schema, which no real server has.
await db.exec('CREATE SCHEMA IF NOT EXISTS seamline_pglite')
await db.exec('CREATE TABLE IF NOT EXISTS seamline_pglite.marker ()')

const server = new PGLiteSocketServer({
  db,
  host: '127.0.0.1',
  port,
  // The context store's pool opens up to 4 connections, the run store's its own.
  maxConnections: Number(process.env.PGLITE_MAX_CONNECTIONS ?? 16),
})
separateSessions(server)
await server.start()
const address = server.getServerConn()
process.stdout.write(`postgresql://postgres@${address}/postgres\n`)

async function stop() {
  await server.stop()
  await db.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
