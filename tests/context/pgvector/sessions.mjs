// Makes the connections of one PGLiteSocketServer behave as separate sessions in the
// two ways psycopg notices. PGlite is a single PostgreSQL backend, so every client
// connection shares its one session, and pglite-socket interleaves their messages:
//
// 1. Prepared statements are per session. psycopg names the statements it prepares
//    _pg3_0, _pg3_1, ... counting from 0 on every connection, so a second connection,
//    or a new one after a first has closed, fails with `prepared statement "_pg3_0"
//    already exists`. Here each connection's statement and portal names get a prefix
//    of its own (the unnamed ones stay unnamed: see 2).
// 2. The unnamed statement and portal, and an implicit transaction, live from a Parse
//    to its Sync. pglite-socket queues messages one at a time and keeps a connection's
//    turn only inside an explicit transaction block, so another connection's Parse
//    could land between this one's Parse and Bind. Here a connection keeps the turn
//    from its first message until a Sync or simple Query leaves the backend idle
//    outside a transaction block (and when it disconnects).
//
// It wraps the server's query queue, a private field of pglite-socket: package.json
// pins that package's exact version.

export function separateSessions(server) {
  const queue = server.queryQueue
  const db = server.db
  const enqueue = queue.enqueue.bind(queue)
  const clearTransaction = queue.clearTransactionIfNeeded.bind(queue)
  const started = new Set() // connections past their startup message
  let holder = null
  let waiting = []

  async function take(id) {
    while (holder !== null && holder !== id) {
      await new Promise((resolve) => waiting.push(resolve))
    }
    holder = id
  }

  function giveBack() {
    holder = null
    const woken = waiting
    waiting = []
    for (const resolve of woken) resolve()
  }

  queue.enqueue = async (id, message, onData) => {
    const startup = !started.has(id)
    started.add(id)
    await take(id)
    let ends = true
    try {
      const result = await enqueue(id, startup ? message : rename(id, message), onData)
      ends = startup || endsBatch(message)
      return result
    } finally {
      if (ends && !db.isInTransaction()) giveBack()
    }
  }

  // On disconnect pglite-socket rolls back the connection's open transaction here.
  queue.clearTransactionIfNeeded = async (id) => {
    await clearTransaction(id)
    started.delete(id)
    if (holder === id) giveBack()
  }
}

function endsBatch(message) {
  const type = String.fromCharCode(message[0])
  return type === 'S' || type === 'Q' || type === 'X'
}

// Frontend messages that carry statement or portal names, and where the names are:
// Parse (statement), Bind (portal, statement), Describe and Close ('S' or 'P', name),
// Execute (portal). Every name is a NUL-terminated string.
function rename(id, message) {
  const type = String.fromCharCode(message[0])
  let at = 5 // after the type byte and the int32 length
  let names
  if (type === 'P' || type === 'E') names = 1
  else if (type === 'B') names = 2
  else if (type === 'D' || type === 'C') {
    at += 1
    names = 1
  } else return message
  const parts = [message.subarray(0, at)]
  for (let i = 0; i < names; i++) {
    const end = message.indexOf(0, at)
    const name = message.subarray(at, end)
    parts.push(name.length ? Buffer.concat([Buffer.from(`c${id}.`), name]) : name)
    parts.push(message.subarray(end, end + 1))
    at = end + 1
  }
  parts.push(message.subarray(at))
  const renamed = Buffer.concat(parts)
  renamed.writeInt32BE(renamed.length - 1, 1)
  return new Uint8Array(renamed.buffer, renamed.byteOffset, renamed.length)
}
