// oko live: the duty officer's page. Plain JS, no framework, no external resources; every text
// from the server goes into the page as textContent (never as HTML).
'use strict'

const $ = (id) => document.getElementById(id)
const FEED_ROWS = 200
const state = { cameras: new Map(), alarms: new Map(), tiles: new Map(), source: undefined, next: undefined, query: undefined, types: new Set() }
// live views: one WebSocket for every visible tile; MJPEG per tile when no WebSocket gets through
const live = { ws: undefined, mjpeg: false, visible: new Set(), observer: undefined }

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v
    else if (k === 'text') node.textContent = v
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
    else node.setAttribute(k, v)
  }
  for (const c of children) if (c !== undefined && c !== null) node.append(c)
  return node
}

async function api(path, body) {
  const init = body === undefined ? { credentials: 'same-origin' } : { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
  const res = await fetch(path, init)
  if (res.status === 401) {
    showLogin()
    throw new Error('unauthorized')
  }
  const data = await res.json()
  if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`)
  return data
}

const cam = (id) => encodeURIComponent(id)
const time = (ms) => new Date(ms).toLocaleTimeString()

function showLogin() {
  state.source?.close()
  state.source = undefined
  live.ws?.close()
  live.ws = undefined
  $('app').hidden = true
  $('logout').hidden = true
  $('login').hidden = false
  setConn(false)
}

function setConn(on) {
  $('conn').textContent = on ? 'live' : 'offline'
  $('conn').className = `conn ${on ? 'on' : 'off'}`
}

async function start() {
  const me = await api('/api/session')
  if (!me.operator) return showLogin()
  $('login').hidden = true
  $('app').hidden = false
  $('logout').hidden = false
  $('who').textContent = me.operator
  if (me.title) $('title').textContent = `${me.title} · oko live`
  live.observer ??= new IntersectionObserver(onTilesSeen)
  await Promise.all([loadCameras(), loadAlarms(), loadFeed()])
  connect()
  openLive()
  setInterval(() => void loadCameras().catch(() => undefined), 2000)
}

// ---- cameras ----

async function loadCameras() {
  const { cameras } = await api('/api/cameras')
  const select = $('s-camera')
  for (const c of cameras) {
    state.cameras.set(c.id, c)
    if (!state.tiles.has(c.id)) {
      const img = el('img', { alt: `live view of ${c.id}` })
      const health = el('span', { class: 'health' })
      const tile = el('div', { class: 'tile', 'data-camera': c.id }, img, el('div', { class: 'info' }, el('span', { class: 'name', text: c.id }), health))
      state.tiles.set(c.id, { tile, img, health, url: undefined })
      $('grid').append(tile)
      live.observer.observe(tile)
      select.append(el('option', { value: c.id, text: c.id }))
    }
    renderHealth(c)
  }
  for (const [id, t] of state.tiles) {
    if (!cameras.some((c) => c.id === id)) {
      live.observer.unobserve(t.tile)
      live.visible.delete(id)
      t.tile.remove()
      state.tiles.delete(id)
      if (t.url) URL.revokeObjectURL(t.url)
    }
  }
  renderPins()
}

// ---- live views ----

function onTilesSeen(entries) {
  for (const e of entries) {
    const id = e.target.getAttribute('data-camera')
    if (e.isIntersecting) live.visible.add(id)
    else live.visible.delete(id)
  }
  watchVisible()
}

/** Tells the server which cameras are on screen (or points their tiles at MJPEG in the fallback). */
function watchVisible() {
  if (live.mjpeg) {
    for (const [id, t] of state.tiles) {
      const src = live.visible.has(id) ? `/api/cameras/${cam(id)}/live.mjpeg` : ''
      if (t.img.getAttribute('src') !== src) src ? t.img.setAttribute('src', src) : t.img.removeAttribute('src')
    }
    return
  }
  if (live.ws?.readyState === WebSocket.OPEN) live.ws.send(JSON.stringify({ watch: [...live.visible] }))
}

function openLive() {
  if (live.mjpeg || live.ws) return
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live`)
  ws.binaryType = 'arraybuffer'
  let opened = false
  ws.onopen = () => {
    opened = true
    watchVisible()
  }
  ws.onmessage = (m) => {
    if (typeof m.data === 'string') return
    // 2 bytes header length, a JSON header { camera, seq, wallMs, width, height }, the JPEG
    const n = new DataView(m.data).getUint16(0)
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(m.data, 2, n)))
    const t = state.tiles.get(header.camera)
    if (!t) return
    const old = t.url
    t.url = URL.createObjectURL(new Blob([new Uint8Array(m.data, 2 + n)], { type: 'image/jpeg' }))
    t.img.src = t.url
    t.img.setAttribute('data-seq', String(header.seq))
    if (old) URL.revokeObjectURL(old)
  }
  ws.onclose = () => {
    if (live.ws === ws) live.ws = undefined
    if ($('app').hidden) return
    // never opened: no WebSocket gets through here (a proxy), or the session ended
    if (!opened) return void api('/api/me').then(() => { live.mjpeg = true; watchVisible() }, () => undefined)
    setTimeout(openLive, 2000)
  }
  live.ws = ws
}

function renderHealth(c) {
  const t = state.tiles.get(c.id)
  if (!t) return
  const age = c.lastFrameAgeMs === undefined ? 'no frame yet' : c.lastFrameAgeMs < 1500 ? 'now' : `${Math.round(c.lastFrameAgeMs / 1000)} s ago`
  const parts = [
    el('span', { class: `state-${c.state}`, text: c.state }),
    ` · ${c.fps} fps · last frame ${age}`,
    c.tamper.length > 0 ? el('span', { class: 'tamper', text: ` · tamper: ${c.tamper.join(', ')}` }) : undefined,
    c.live.dropped > 0 ? ` · ${c.live.dropped} live frames dropped` : undefined,
  ].filter((p) => p !== undefined)
  t.health.replaceChildren(...parts)
  t.health.classList.toggle('stale', c.lastFrameAgeMs !== undefined && c.lastFrameAgeMs > 5000)
}

function renderPins() {
  const pinned = new Set([...state.alarms.values()].filter((a) => a.phase !== 'resolved').flatMap((a) => a.cameras))
  for (const [id, t] of state.tiles) t.tile.classList.toggle('pinned', pinned.has(id))
}

// ---- alarms ----

async function loadAlarms() {
  const { alarms } = await api('/api/alarms')
  state.alarms.clear()
  for (const a of alarms) if (a.phase !== 'resolved') state.alarms.set(a.alarmId, a)
  renderAlarms()
}

function onAlarmEvent(e) {
  if (e.phase === 'resolved') state.alarms.delete(e.alarmId)
  else {
    const a = state.alarms.get(e.alarmId) || { alarmId: e.alarmId, pointId: e.pointId, place: e.place, cameras: e.cameras, pressedMs: e.pressedMs, escalated: false }
    a.presses = e.presses
    if (e.phase === 'escalated') a.escalated = true
    else a.phase = e.phase
    if (e.phase === 'acknowledged') a.acknowledged = e.step
    state.alarms.set(e.alarmId, a)
  }
  renderAlarms()
}

function renderAlarms() {
  const box = $('alarms')
  const list = [...state.alarms.values()].sort((a, b) => b.pressedMs - a.pressedMs)
  box.replaceChildren(...list.map(alarmCard))
  renderPins()
}

function alarmCard(a) {
  const note = el('input', { placeholder: 'note', maxlength: '2000', 'aria-label': 'note' })
  const step = async (what) => {
    try {
      await api(`/api/alarms/${a.alarmId}/${what}`, note.value ? { note: note.value } : {})
    } catch (error) {
      alert(`${what}: ${error.message}`)
    }
  }
  const shots = el('div', { class: 'shots' }, ...a.cameras.map((c) => {
    return el('img', { alt: `${c} at the press`, 'data-camera': c, src: `/api/alarms/${a.alarmId}/snapshots/${cam(c)}.jpg` })
  }))
  const actions = el('div', { class: 'actions' }, note,
    a.phase === 'raised' ? el('button', { type: 'button', class: 'ack', text: 'Acknowledge', onclick: () => step('acknowledge') }) : undefined,
    el('button', { type: 'button', class: 'secondary resolve', text: 'Resolve', onclick: () => step('resolve') }))
  return el('article', { class: `alarm ${a.phase}`, 'data-alarm': a.alarmId },
    el('div', { class: 'head' },
      el('span', { class: 'badge', text: a.phase === 'raised' ? (a.escalated ? 'SOS · escalated' : 'SOS') : 'acknowledged' }),
      el('span', { class: 'place', text: a.place }),
      el('span', { text: `point ${a.pointId} · pressed ${time(a.pressedMs)}${a.presses > 1 ? ` · ${a.presses} presses` : ''}` }),
      a.acknowledged ? el('span', { class: 'by', text: `taken by ${a.acknowledged.by} at ${time(a.acknowledged.atMs)}` }) : undefined,
      el('span', { text: `cameras: ${a.cameras.join(', ') || 'none'}` })),
    shots, actions)
}

// ---- events ----

function describe(e) {
  switch (e.type) {
    case 'motion': return `score ${e.score.toFixed(3)}${e.zones.length ? ` zones ${e.zones.map((z) => z.zone).join(', ')}` : ''}`
    case 'tamper': return `${e.reason} ${e.active ? 'started' : 'cleared'}`
    case 'plate': return `${e.text}${e.country ? ` (${e.country})` : ''}${e.watchlist && e.watchlist.length ? ` · on ${e.watchlist.map((w) => w.list).join(', ')}` : ''}`
    case 'face': return e.match ? `${e.match.identity}` : 'unknown face'
    case 'alarm': return `${e.phase} · ${e.place}${e.step ? ` · by ${e.step.by}` : ''}`
    case 'alarm-point': return `${e.pointId} ${e.state}`
    case 'source': return `${e.state ?? ''}`
    case 'dropped': return `${e.count} dropped at ${e.stage} (${e.reason})`
    case 'error': return e.error && e.error.message ? e.error.message : 'error'
    default: return ''
  }
}

function row(e) {
  const hit = (e.watchlist && e.watchlist.length > 0) || (e.type === 'face' && e.match) || e.type === 'alarm'
  return el('li', { class: `${hit ? 'hit ' : ''}${e.type === 'alarm' ? 'alarm-row' : ''}`, 'data-type': e.type, 'data-id': e.id },
    el('span', { class: 'time', text: time(e.timeMs) }),
    el('span', { class: 'type', text: e.type }),
    el('span', { class: 'camera', text: e.cameraId || '' }),
    el('span', { class: 'what', text: describe(e) }),
    e.snapshotUrl ? el('img', { src: e.snapshotUrl, alt: `${e.type} snapshot` }) : undefined)
}

function addType(type) {
  if (state.types.has(type)) return
  state.types.add(type)
  $('s-type').append(el('option', { value: type, text: type }))
}

async function loadFeed() {
  const { events } = await api('/api/events?limit=50')
  $('feed').replaceChildren(...events.map(row))
  for (const e of events) addType(e.type)
}

function connect() {
  const source = new EventSource('/api/events/stream')
  state.source = source
  source.onopen = () => setConn(true)
  source.onerror = () => {
    setConn(false)
    // a 401 closes the stream for good: ask who is there
    if (source.readyState === EventSource.CLOSED) void api('/api/me').then(() => setTimeout(connect, 2000), () => undefined)
  }
  source.onmessage = (m) => {
    const e = JSON.parse(m.data)
    addType(e.type)
    const feed = $('feed')
    feed.prepend(row(e))
    while (feed.children.length > FEED_ROWS) feed.lastElementChild.remove()
    if (e.type === 'alarm') onAlarmEvent(e)
    if (e.type === 'tamper') void loadCameras().catch(() => undefined)
  }
  source.addEventListener('dropped', (m) => {
    const { count } = JSON.parse(m.data)
    $('feed').prepend(el('li', { class: 'gap', text: `${count} events not shown (the page was behind)` }))
  })
}

// ---- search ----

async function search(before) {
  const q = state.query
  const body = { limit: 50 }
  if (q.type) body.types = [q.type]
  if (q.camera) body.cameras = [q.camera]
  if (q.from) body.fromMs = new Date(q.from).getTime()
  if (q.to) body.toMs = new Date(q.to).getTime()
  if (q.text) body.text = q.text
  // plate text is personal data: it goes in the body, never in a URL
  if (q.plate) body.plate = q.plate
  if (before) body.before = before
  const page = await api('/api/events/search', body)
  const rows = page.events.map(row)
  if (before) $('results').append(...rows)
  else $('results').replaceChildren(...rows)
  if (!before && rows.length === 0) $('results').append(el('li', { text: 'nothing found' }))
  state.next = page.next
  $('more').hidden = !page.next
}

$('search').addEventListener('submit', (ev) => {
  ev.preventDefault()
  state.query = { type: $('s-type').value, camera: $('s-camera').value, from: $('s-from').value, to: $('s-to').value, text: $('s-text').value.trim(), plate: $('s-plate').value.trim() }
  void search().catch((error) => alert(`search: ${error.message}`))
})
$('more').addEventListener('click', () => void search(state.next).catch(() => undefined))

// ---- login ----

$('login').addEventListener('submit', async (ev) => {
  ev.preventDefault()
  $('login-error').hidden = true
  const res = await fetch('/api/login', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: $('login-name').value, secret: $('login-secret').value }) })
  $('login-secret').value = ''
  if (!res.ok) {
    $('login-error').textContent = res.status === 401 ? 'Wrong name, password or token.' : `Login failed (HTTP ${res.status}).`
    $('login-error').hidden = false
    return
  }
  void start()
})
$('logout').addEventListener('click', async () => {
  await fetch('/api/logout', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: '{}' })
  location.reload()
})

void start()
