/**
 * kb console's UI: Preact views written with htm (no JSX build step),
 * uPlot for the live charts. Hash routes, so every page has a URL that
 * deep-links: #/ (overview), #/topics, #/topics/NAME, #/groups,
 * #/groups/ID, #/balance, #/acls, #/users, #/quotas, #/transactions.
 * Everything comes from the JSON API under /api/ (src/console/server/api.ts);
 * pages poll it every few seconds. A 401 shows the login form; a cluster
 * that cannot be reached shows a banner over whatever the page has.
 */
import { h, render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';

const html = htm.bind(h);
const refreshMs = 5000;

// ---- API ----------------------------------------------------------------

const listeners = new Set();
let status = { clusterDown: null, login: false };
function setStatus(change) {
  status = { ...status, ...change };
  for (const l of listeners) l(status);
}

async function api(path, options = {}) {
  const init = { method: options.method ?? 'GET', headers: {}, credentials: 'same-origin' };
  if (options.body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(`/api/${path}`, init);
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (response.status === 401 && path !== 'login') setStatus({ login: true });
  if (response.status === 503 && body.clusterDown) setStatus({ clusterDown: body.error });
  else if (response.ok && path === 'overview') setStatus({ clusterDown: body.health.status === 'UNKNOWN' ? body.health.problems[0]?.message : null });
  else if (response.ok && !/^(session|login|logout|history)\b/.test(path)) setStatus({ clusterDown: null });
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

/** Polls `path` every refreshMs (and when `key` changes); returns [data, error, reload]. */
function usePoll(path, key = path) {
  const [state, setState] = useState({ data: null, error: null });
  const load = useCallback(() => {
    if (path === null) return;
    api(path).then(
      (data) => setState({ data, error: null }),
      (err) => setState((s) => ({ data: s.data, error: err.message })),
    );
  }, [key]);
  useEffect(() => {
    load();
    const timer = setInterval(load, refreshMs);
    return () => clearInterval(timer);
  }, [load]);
  return [state.data, state.error, load];
}

// ---- formatting ---------------------------------------------------------

function bytes(n) {
  if (n === null || n === undefined || n < 0) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

const rate = (n) => (n === null || n === undefined ? '-' : n < 10 ? n.toFixed(1) : Math.round(n).toString());

function decodeBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function hex(bytesArray) {
  const lines = [];
  for (let i = 0; i < bytesArray.length; i += 16) {
    const row = [...bytesArray.slice(i, i + 16)];
    const ascii = row.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${i.toString(16).padStart(6, '0')}  ${row.map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(48)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** A key, value or header value as kb consume --json gives it: text (pretty when JSON), hex for binary, null. */
function Bytes({ value }) {
  if (value === null) return html`<span class="muted">null</span>`;
  if (typeof value === 'object') return html`<pre class="hex" title="binary (hex)">${hex(decodeBase64(value.base64))}</pre>`;
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return html`<pre class="json">${JSON.stringify(JSON.parse(trimmed), null, 2)}</pre>`;
    } catch {
      // not JSON: as text
    }
  }
  return html`<span class="text">${value}</span>`;
}

// ---- building blocks ----------------------------------------------------

function Badge({ kind, children }) {
  return html`<span class=${`badge ${kind}`}>${children}</span>`;
}

function ErrorLine({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

/**
 * A table that sorts (click or Enter on a header) and pages.
 * columns: [{ key, label, render?(row), sort?(row) }].
 */
function Table({ columns, rows, pageSize = 20, empty = 'nothing here', id }) {
  const [sort, setSort] = useState({ key: null, dir: 1 });
  const [page, setPage] = useState(0);
  const col = columns.find((c) => c.key === sort.key);
  const value = (c, r) => (c.sort ? c.sort(r) : r[c.key]);
  const sorted = col ? [...rows].sort((a, b) => {
    const [x, y] = [value(col, a), value(col, b)];
    return (x === y ? 0 : x === null || x === undefined ? -1 : y === null || y === undefined ? 1 : x < y ? -1 : 1) * sort.dir;
  }) : rows;
  const pages = Math.max(1, Math.ceil(sorted.length / pageSize));
  const current = Math.min(page, pages - 1);
  const shown = sorted.slice(current * pageSize, (current + 1) * pageSize);
  const toggle = (key) => setSort((s) => ({ key, dir: s.key === key ? -s.dir : 1 }));
  return html`<div class="table-wrap">
    <table data-table=${id}>
      <thead><tr>${columns.map(
        (c) => html`<th aria-sort=${sort.key === c.key ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none'}>
          <button class="th" onClick=${() => toggle(c.key)}>${c.label}${sort.key === c.key ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''}</button></th>`,
      )}</tr></thead>
      <tbody>${shown.length === 0 ? html`<tr><td colspan=${columns.length} class="muted">${empty}</td></tr>` : shown.map(
        (r) => html`<tr>${columns.map((c) => html`<td>${c.render ? c.render(r) : String(r[c.key] ?? '-')}</td>`)}</tr>`,
      )}</tbody>
    </table>
    ${pages > 1 && html`<div class="pager">
      <button disabled=${current === 0} onClick=${() => setPage(current - 1)}>Previous</button>
      <span>page ${current + 1} of ${pages} (${rows.length} rows)</span>
      <button disabled=${current >= pages - 1} onClick=${() => setPage(current + 1)}>Next</button>
    </div>`}
  </div>`;
}

/** A live chart of series points ([ms, value]) from /api/history; `optional`: nothing while the series is empty. */
function Chart({ series, label, optional = false }) {
  const element = useRef(null);
  const plot = useRef(null);
  const [data] = usePoll(`history?series=${encodeURIComponent(series)}`);
  const points = data?.series[series] ?? [];
  const hidden = optional && points.length === 0;
  useEffect(() => {
    if (hidden) return;
    const columns = [points.map((p) => p[0] / 1000), points.map((p) => p[1])];
    if (!plot.current) {
      const dark = document.documentElement.dataset.theme === 'dark';
      const axis = { stroke: dark ? '#ccc' : '#333', grid: { stroke: dark ? '#333' : '#eee' } };
      plot.current = new uPlot(
        { width: Math.min(800, element.current.clientWidth || 800), height: 180, series: [{}, { label, stroke: '#3b82f6', width: 2 }], axes: [axis, axis], scales: { x: { time: true } } },
        columns,
        element.current,
      );
    } else plot.current.setData(columns);
  }, [data]);
  useEffect(() => () => plot.current?.destroy(), []);
  if (hidden) return null;
  return html`<figure class="chart"><figcaption>${label} (last hour${points.length < 2 ? ': collecting' : ''})</figcaption><div ref=${element}></div></figure>`;
}

/** A destructive action: the name typed back enables the button. */
function TypedConfirm({ name, action, onConfirm }) {
  const [typed, setTyped] = useState('');
  return html`<form class="confirm" onSubmit=${(e) => (e.preventDefault(), typed === name && onConfirm())}>
    <label>Type <code>${name}</code> to ${action}: <input value=${typed} onInput=${(e) => setTyped(e.target.value)} aria-label=${`type ${name} to confirm`} /></label>
    <button class="danger" type="submit" disabled=${typed !== name}>${action}</button>
  </form>`;
}

// ---- pages --------------------------------------------------------------

function Overview() {
  const [data, error] = usePoll('overview');
  if (!data) return html`<${ErrorLine} error=${error} /><p>Loading…</p>`;
  const { health, brokers, quorum } = data;
  const kind = { OK: 'ok', WARNING: 'warn', CRITICAL: 'crit', UNKNOWN: 'crit' }[health.status];
  return html`<section>
    <h1>Overview</h1>
    <div class=${`verdict ${kind}`} data-test="health-status"><strong>${health.status}</strong>
      ${health.problems.length === 0 ? html` ${health.brokers.live.length} broker(s), ${health.topics} topic(s), ${health.partitions} partition(s)` : ''}
    </div>
    ${health.problems.length > 0 && html`<ul class="problems" data-test="health-problems">${health.problems.map((p) => html`<li><${Badge} kind=${p.severity === 'CRITICAL' ? 'crit' : 'warn'}>${p.severity}<//> ${p.message}</li>`)}</ul>`}
    <h2>Brokers</h2>
    <${Table} id="brokers" rows=${brokers} columns=${[
      { key: 'id', label: 'ID' },
      { key: 'address', label: 'Address' },
      { key: 'rack', label: 'Rack' },
      { key: 'controller', label: 'Controller', render: (b) => (b.controller ? html`<${Badge} kind="info">controller<//>` : '') },
      { key: 'alive', label: 'Status', render: (b) => (b.alive ? html`<${Badge} kind="ok">alive<//>` : html`<${Badge} kind="crit">down or fenced<//>`) },
      { key: 'leaders', label: 'Leaders' },
      { key: 'partitions', label: 'Partitions' },
      { key: 'sizeBytes', label: 'Log size', render: (b) => bytes(b.sizeBytes) },
    ]} />
    <h2>Metadata quorum</h2>
    ${quorum === null ? html`<p class="muted">the quorum did not answer</p>` : html`<p>leader ${quorum.leaderId}, epoch ${quorum.leaderEpoch}, high watermark ${quorum.highWatermark}</p>
      <${Table} id="quorum" rows=${[...quorum.voters, ...quorum.observers]} columns=${[
        { key: 'nodeId', label: 'Node' },
        { key: 'status', label: 'Role' },
        { key: 'logEndOffset', label: 'Log end' },
        { key: 'lag', label: 'Lag' },
      ]} />`}
  </section>`;
}

function CreateTopic({ onCreated }) {
  const [form, setForm] = useState({ name: '', partitions: '', replicationFactor: '', configs: '' });
  const [error, setError] = useState(null);
  const field = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    try {
      const configs = Object.fromEntries(form.configs.split('\n').filter((l) => l.trim()).map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1)]));
      await api('topics', { method: 'POST', body: { name: form.name, partitions: form.partitions || undefined, replicationFactor: form.replicationFactor || undefined, configs } });
      setError(null);
      setForm({ name: '', partitions: '', replicationFactor: '', configs: '' });
      onCreated(form.name);
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<details class="panel"><summary>Create a topic</summary><form class="form" onSubmit=${submit} data-test="create-topic">
    <label>Name <input name="name" required value=${form.name} onInput=${field('name')} /></label>
    <label>Partitions <input name="partitions" type="number" min="1" placeholder="broker default" value=${form.partitions} onInput=${field('partitions')} /></label>
    <label>Replication factor <input name="replicationFactor" type="number" min="1" placeholder="broker default" value=${form.replicationFactor} onInput=${field('replicationFactor')} /></label>
    <label>Configs (key=value per line) <textarea name="configs" rows="2" value=${form.configs} onInput=${field('configs')}></textarea></label>
    <button type="submit">Create</button><${ErrorLine} error=${error} />
  </form></details>`;
}

function Topics() {
  const [data, error, reload] = usePoll('topics');
  const [search, setSearch] = useState('');
  const [internal, setInternal] = useState(false);
  const topics = (data?.topics ?? []).filter((t) => (internal || !t.internal) && t.name.includes(search));
  return html`<section>
    <h1>Topics</h1>
    <${CreateTopic} onCreated=${reload} />
    <div class="toolbar">
      <input type="search" placeholder="Search topics" aria-label="search topics" value=${search} onInput=${(e) => setSearch(e.target.value)} />
      <label><input type="checkbox" checked=${internal} onChange=${(e) => setInternal(e.target.checked)} /> internal topics</label>
    </div>
    <${ErrorLine} error=${error} />
    <${Table} id="topics" rows=${topics} empty=${data ? 'no topics' : 'loading…'} columns=${[
      { key: 'name', label: 'Name', render: (t) => html`<a href=${`#/topics/${encodeURIComponent(t.name)}`}>${t.name}</a>` },
      { key: 'partitions', label: 'Partitions' },
      { key: 'replicationFactor', label: 'RF' },
      { key: 'underReplicated', label: 'Status', render: (t) => html`${t.offline > 0 && html`<${Badge} kind="crit">${t.offline} offline<//> `}${t.underReplicated > 0 && html`<${Badge} kind="warn">${t.underReplicated} URP<//>`}${t.offline === 0 && t.underReplicated === 0 && html`<${Badge} kind="ok">ok<//>`}` },
      { key: 'sizeBytes', label: 'Size', render: (t) => bytes(t.sizeBytes) },
      { key: 'messagesInPerSec', label: 'Messages in/s', render: (t) => rate(t.messagesInPerSec) },
    ]} />
  </section>`;
}

function Configs({ topic, configs, reload }) {
  const [editing, setEditing] = useState(null);
  const [error, setError] = useState(null);
  const change = async (body) => {
    try {
      await api(`topics/${encodeURIComponent(topic)}/configs`, { method: 'PATCH', body });
      setEditing(null);
      setError(null);
      reload();
    } catch (err) {
      setError(err.message);
    }
  };
  // DescribeConfigs' config_source.
  const sources = { 1: 'topic override', 2: 'broker (dynamic)', 3: 'all brokers (dynamic)', 4: 'broker (static)', 5: 'default', 6: 'broker logger' };
  return html`<${ErrorLine} error=${error} /><${Table} id="configs" pageSize=${15} rows=${configs} columns=${[
    { key: 'name', label: 'Config' },
    { key: 'value', label: 'Value', render: (c) => (editing?.name === c.name ? html`<form class="inline" onSubmit=${(e) => (e.preventDefault(), change({ set: { [c.name]: editing.value } }))}>
        <input aria-label=${`value of ${c.name}`} value=${editing.value} onInput=${(e) => setEditing({ ...editing, value: e.target.value })} /><button type="submit">Save</button><button type="button" onClick=${() => setEditing(null)}>Cancel</button></form>` : c.value ?? '-') },
    { key: 'source', label: 'Source', render: (c) => (c.isDefault ? html`<span class="muted">default</span>` : html`<${Badge} kind="info">${sources[c.source] ?? c.source}<//>`) },
    { key: 'edit', label: '', render: (c) => (c.readOnly ? '' : html`<button onClick=${() => setEditing({ name: c.name, value: c.value ?? '' })}>Edit</button>${!c.isDefault && html` <button onClick=${() => change({ delete: [c.name] })}>Reset</button>`}`) },
  ]} />`;
}

function jsonLines(records) {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '');
}

function Browser({ topic, partitions }) {
  const [query, setQuery] = useState({ partition: '', from: 'newest', offset: '0', timestamp: '', limit: '50', filter: '' });
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const field = (key) => (e) => setQuery({ ...query, [key]: e.target.value });
  const read = async (e) => {
    e?.preventDefault();
    const params = new URLSearchParams({ from: query.from, limit: query.limit, filter: query.filter });
    if (query.partition !== '') params.set('partition', query.partition);
    if (query.from === 'offset') params.set('offset', query.offset);
    if (query.from === 'timestamp') params.set('timestamp', query.timestamp);
    try {
      setResult(await api(`topics/${encodeURIComponent(topic)}/messages?${params}`));
      setError(null);
    } catch (err) {
      setError(err.message);
    }
  };
  useEffect(() => void read(), [topic]);
  const download = () => {
    const url = URL.createObjectURL(new Blob([jsonLines(result.records)], { type: 'application/x-ndjson' }));
    const a = Object.assign(document.createElement('a'), { href: url, download: `${topic}.jsonl` });
    a.click();
    URL.revokeObjectURL(url);
  };
  return html`<form class="form row" onSubmit=${read} data-test="browse">
      <label>Partition <select value=${query.partition} onChange=${field('partition')}><option value="">all</option>${partitions.map((p) => html`<option value=${p}>${p}</option>`)}</select></label>
      <label>From <select value=${query.from} onChange=${field('from')}><option value="newest">newest</option><option value="offset">offset</option><option value="timestamp">timestamp</option></select></label>
      ${query.from === 'offset' && html`<label>Offset <input type="number" min="0" value=${query.offset} onInput=${field('offset')} /></label>`}
      ${query.from === 'timestamp' && html`<label>Time <input placeholder="2024-05-01T12:00:00Z, ms or -10m" value=${query.timestamp} onInput=${field('timestamp')} /></label>`}
      <label>Limit <input type="number" min="1" max="500" value=${query.limit} onInput=${field('limit')} /></label>
      <label>Filter <input placeholder="key, value or header contains" value=${query.filter} onInput=${field('filter')} /></label>
      <button type="submit">Read</button>
      ${result && html`<button type="button" onClick=${download} disabled=${result.records.length === 0}>Download JSON Lines</button>`}
    </form>
    <${ErrorLine} error=${error} />
    ${result?.truncated && html`<p class="muted">stopped early (a read bound was reached): narrow the query for more</p>`}
    ${result && html`<${Table} id="messages" rows=${result.records} empty="no records" columns=${[
      { key: 'partition', label: 'Partition' },
      { key: 'offset', label: 'Offset' },
      { key: 'timestamp', label: 'Time', render: (r) => (r.timestamp >= 0 ? new Date(r.timestamp).toISOString() : '-') },
      { key: 'key', label: 'Key', sort: (r) => (typeof r.key === 'string' ? r.key : ''), render: (r) => html`<${Bytes} value=${r.key} />` },
      { key: 'value', label: 'Value', sort: (r) => (typeof r.value === 'string' ? r.value : ''), render: (r) => html`<${Bytes} value=${r.value} />` },
      { key: 'headers', label: 'Headers', sort: (r) => r.headers.length, render: (r) => r.headers.map((hd) => html`<div><code>${hd.key}</code>: <${Bytes} value=${hd.value} /></div>`) },
    ]} />`}`;
}

function Produce({ topic, partitions }) {
  const [form, setForm] = useState({ partition: '', key: '', value: '', headers: '' });
  const [outcome, setOutcome] = useState(null);
  const field = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    const headers = form.headers.split('\n').filter((l) => l.includes('=')).map((l) => ({ key: l.slice(0, l.indexOf('=')), value: l.slice(l.indexOf('=') + 1) }));
    try {
      const body = { key: form.key === '' ? null : form.key, value: form.value, headers, ...(form.partition === '' ? {} : { partition: Number(form.partition) }) };
      const done = await api(`topics/${encodeURIComponent(topic)}/messages`, { method: 'POST', body });
      setOutcome({ ok: `produced at partition ${done.partition}, offset ${done.offset}` });
    } catch (err) {
      setOutcome({ error: err.message });
    }
  };
  return html`<form class="form" onSubmit=${submit} data-test="produce">
    <label>Partition <select value=${form.partition} onChange=${field('partition')}><option value="">by key</option>${partitions.map((p) => html`<option value=${p}>${p}</option>`)}</select></label>
    <label>Key <input value=${form.key} onInput=${field('key')} placeholder="none" /></label>
    <label>Value <textarea rows="3" value=${form.value} onInput=${field('value')}></textarea></label>
    <label>Headers (key=value per line) <textarea rows="2" value=${form.headers} onInput=${field('headers')}></textarea></label>
    <button type="submit">Produce</button>
    ${outcome?.ok && html`<p class="ok" role="status">${outcome.ok}</p>`}<${ErrorLine} error=${outcome?.error} />
  </form>`;
}

function TopicDetail({ name }) {
  const [data, error, reload] = usePoll(`topics/${encodeURIComponent(name)}`);
  const [count, setCount] = useState('');
  const [actionError, setActionError] = useState(null);
  const act = (work) => work().then(() => (setActionError(null), reload()), (err) => setActionError(err.message));
  if (!data) return html`<h1>Topic ${name}</h1><${ErrorLine} error=${error} /><p>Loading…</p>`;
  const indexes = data.partitions.map((p) => p.partition);
  return html`<section>
    <h1>Topic ${name}</h1>
    ${(data.topicId || data.internal) && html`<p class="muted">${data.topicId ? `id ${data.topicId}` : ''}${data.internal ? ' (internal)' : ''}</p>`}
    <${ErrorLine} error=${error || actionError} />
    <${Chart} series=${`messagesIn:${name}`} label="messages in/s" />
    <${Chart} series=${`bytesIn:${name}`} label="bytes in/s (brokers' /metrics)" optional />
    <h2>Partitions</h2>
    <${Table} id="partitions" rows=${data.partitions} columns=${[
      { key: 'partition', label: 'Partition' },
      { key: 'leader', label: 'Leader', render: (p) => (p.leader < 0 ? html`<${Badge} kind="crit">offline<//>` : p.leader) },
      { key: 'replicas', label: 'Replicas', render: (p) => p.replicas.join(',') },
      { key: 'isr', label: 'ISR', render: (p) => html`${p.isr.join(',')}${p.isr.length < p.replicas.length && html` <${Badge} kind="warn">URP<//>`}` },
      { key: 'logStartOffset', label: 'Start' },
      { key: 'logEndOffset', label: 'End' },
      { key: 'sizeBytes', label: 'Size', render: (p) => bytes(p.sizeBytes) },
    ]} />
    <h2>Messages</h2>
    <${Browser} topic=${name} partitions=${indexes} />
    <details class="panel"><summary>Produce a record</summary><${Produce} topic=${name} partitions=${indexes} /></details>
    <details class="panel"><summary>Configs</summary><${Configs} topic=${name} configs=${data.configs} reload=${reload} /></details>
    <details class="panel"><summary>Add partitions</summary>
      <form class="form row" onSubmit=${(e) => (e.preventDefault(), act(() => api(`topics/${encodeURIComponent(name)}/partitions`, { method: 'POST', body: { count: Number(count) } })))}>
        <label>New partition count <input type="number" min=${indexes.length + 1} value=${count} onInput=${(e) => setCount(e.target.value)} /></label><button type="submit">Add</button>
      </form></details>
    <details class="panel"><summary>Delete this topic</summary>
      <${TypedConfirm} name=${name} action="Delete topic" onConfirm=${() => act(() => api(`topics/${encodeURIComponent(name)}`, { method: 'DELETE', body: { confirm: name } }).then(() => (location.hash = '#/topics')))} />
    </details>
  </section>`;
}

function Groups() {
  const [data, error] = usePoll('groups');
  return html`<section><h1>Consumer groups</h1><${ErrorLine} error=${error} />
    <${Table} id="groups" rows=${data?.groups ?? []} empty=${data ? 'no groups' : 'loading…'} columns=${[
      { key: 'groupId', label: 'Group', render: (g) => html`<a href=${`#/groups/${encodeURIComponent(g.groupId)}`}>${g.groupId}</a>` },
      { key: 'state', label: 'State' },
      { key: 'members', label: 'Members' },
      { key: 'protocol', label: 'Assignor' },
      { key: 'lag', label: 'Total lag', render: (g) => g.lag ?? '-' },
    ]} /></section>`;
}

function ResetOffsets({ group, topics, onDone }) {
  const [form, setForm] = useState({ topic: '', to: 'earliest' });
  const [plan, setPlan] = useState(null);
  const [error, setError] = useState(null);
  const body = (execute) => ({ topics: form.topic === '' ? null : [form.topic], to: form.to, execute, ...(execute ? { confirm: group } : {}) });
  const run = async (execute) => {
    try {
      const result = await api(`groups/${encodeURIComponent(group)}/reset-offsets`, { method: 'POST', body: body(execute) });
      setError(null);
      if (execute) (setPlan(null), onDone());
      else setPlan(result.partitions);
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<form class="form row" onSubmit=${(e) => (e.preventDefault(), run(false))} data-test="reset-offsets">
      <label>Topic <select value=${form.topic} onChange=${(e) => (setForm({ ...form, topic: e.target.value }), setPlan(null))}><option value="">all committed</option>${topics.map((t) => html`<option value=${t}>${t}</option>`)}</select></label>
      <label>To <input value=${form.to} onInput=${(e) => (setForm({ ...form, to: e.target.value }), setPlan(null))} aria-label="reset to" placeholder="earliest, latest, N, -N, @time" /></label>
      <button type="submit">Dry run</button>
    </form>
    <${ErrorLine} error=${error} />
    ${plan && html`<div data-test="reset-plan"><h3>Plan (nothing changed yet)</h3>
      <${Table} id="reset-plan" rows=${plan} columns=${[{ key: 'topic', label: 'Topic' }, { key: 'partition', label: 'Partition' }, { key: 'currentOffset', label: 'Current' }, { key: 'newOffset', label: 'New' }]} />
      <${TypedConfirm} name=${group} action="Reset offsets" onConfirm=${() => run(true)} /></div>`}`;
}

function GroupDetail({ id }) {
  const [data, error, reload] = usePoll(`groups/${encodeURIComponent(id)}`);
  const [actionError, setActionError] = useState(null);
  if (!data) return html`<h1>Group ${id}</h1><${ErrorLine} error=${error} /><p>Loading…</p>`;
  const topics = [...new Set(data.lag.map((p) => p.topic))];
  return html`<section>
    <h1>Group ${id}</h1>
    <p>state <strong data-test="group-state">${data.state}</strong>, ${data.members.length} member(s), total lag <strong data-test="group-lag">${data.totalLag}</strong></p>
    <${ErrorLine} error=${error || actionError} />
    <${Chart} series=${`lag:${id}`} label="total lag" />
    <h2>Members</h2>
    <${Table} id="members" rows=${data.members} empty="no members" columns=${[
      { key: 'memberId', label: 'Member' },
      { key: 'clientId', label: 'Client' },
      { key: 'clientHost', label: 'Host' },
      { key: 'assignment', label: 'Assignment', sort: (m) => m.assignment.length, render: (m) => m.assignment.map((a) => `${a.topic}: ${a.partitions.join(',')}`).join('; ') },
    ]} />
    <h2>Lag per partition</h2>
    <${Table} id="lag" rows=${data.lag} columns=${[
      { key: 'topic', label: 'Topic' },
      { key: 'partition', label: 'Partition' },
      { key: 'committedOffset', label: 'Committed' },
      { key: 'logEndOffset', label: 'Log end' },
      { key: 'lag', label: 'Lag' },
      { key: 'member', label: 'Member' },
    ]} />
    <details class="panel" open=${data.members.length === 0}><summary>Reset offsets</summary>
      ${data.members.length > 0 ? html`<p class="muted">stop the group's consumers first: offsets can only be reset while the group is empty</p>` : html`<${ResetOffsets} group=${id} topics=${topics} onDone=${reload} />`}
    </details>
    <details class="panel"><summary>Delete this group</summary>
      <${TypedConfirm} name=${id} action="Delete group" onConfirm=${() => api(`groups/${encodeURIComponent(id)}`, { method: 'DELETE', body: { confirm: id } }).then(() => (location.hash = '#/groups'), (err) => setActionError(err.message))} />
    </details>
  </section>`;
}

/** Seconds until `bytesLeft` reaches 0 at the rate it fell since the previous poll; null when it did not fall. */
function useEta(rows) {
  const seen = useRef(new Map());
  const now = Date.now();
  const etas = new Map();
  for (const r of rows) {
    const key = `${r.topic}-${r.partition}`;
    const before = seen.current.get(key);
    if (before && r.bytesLeft !== null && before.bytesLeft > r.bytesLeft && now > before.at) etas.set(key, r.bytesLeft / ((before.bytesLeft - r.bytesLeft) / ((now - before.at) / 1000)));
    if (!before || before.bytesLeft !== r.bytesLeft) seen.current.set(key, { bytesLeft: r.bytesLeft, at: now });
  }
  return etas;
}

function Balance() {
  const [moves, error, reload] = usePoll('reassignments');
  const etas = useEta(moves?.reassignments ?? []);
  const [plan, setPlan] = useState(null);
  const [message, setMessage] = useState(null);
  const propose = () => api('balance').then((p) => (setPlan(p.moves), setMessage(null)), (err) => setMessage(err.message));
  const apply = () => api('balance', { method: 'POST', body: {} }).then((r) => (setPlan(null), setMessage(`started ${r.started.length} move(s)`), reload()), (err) => setMessage(err.message));
  return html`<section><h1>Reassignments and balance</h1><${ErrorLine} error=${error} />
    <h2>In progress</h2>
    <${Table} id="reassignments" rows=${moves?.reassignments ?? []} empty="no reassignment in progress" columns=${[
      { key: 'topic', label: 'Topic' },
      { key: 'partition', label: 'Partition' },
      { key: 'replicas', label: 'Replicas', render: (m) => m.replicas.join(',') },
      { key: 'addingReplicas', label: 'Adding', render: (m) => m.addingReplicas.join(',') },
      { key: 'removingReplicas', label: 'Removing', render: (m) => m.removingReplicas.join(',') },
      { key: 'bytesLeft', label: 'Bytes left', render: (m) => bytes(m.bytesLeft) },
      { key: 'eta', label: 'ETA', sort: (m) => etas.get(`${m.topic}-${m.partition}`) ?? null, render: (m) => (etas.has(`${m.topic}-${m.partition}`) ? `${Math.ceil(etas.get(`${m.topic}-${m.partition}`))} s` : '-') },
    ]} />
    <h2>Preferred leaders</h2>
    <p data-test="preferred-leaders">${!moves ? '…' : moves.notPreferredLeaders.length === 0 ? 'every partition is led by its preferred replica' : html`${moves.notPreferredLeaders.length} partition(s) not led by their preferred replica (${moves.notPreferredLeaders.slice(0, 5).join(', ')}${moves.notPreferredLeaders.length > 5 ? ', …' : ''}): <code>kb partitions elect-leaders</code> or the balance below moves them back`}</p>
    <h2>Balance</h2>
    <p class="muted">Evens out replicas and preferred leaders over the live brokers, as <code>kb partitions balance</code>.</p>
    <button onClick=${propose}>Compute the plan</button> ${message && html`<span role="status">${message}</span>`}
    ${plan && (plan.length === 0 ? html`<p data-test="balance-plan">balanced: nothing to move</p>` : html`<div data-test="balance-plan">
      <${Table} id="balance-plan" rows=${plan} columns=${[{ key: 'topic', label: 'Topic' }, { key: 'partition', label: 'Partition' }, { key: 'current', label: 'Replicas', render: (m) => m.current.join(',') }, { key: 'target', label: 'New replicas', render: (m) => m.target.join(',') }]} />
      <button class="danger" onClick=${apply}>Apply ${plan.length} move(s)</button></div>`)}
  </section>`;
}

/** A read-only list page (ACLs, users, quotas, transactions): what the matching kb command lists. */
function ListPage({ title, path, pick, columns, command }) {
  const [data, error] = usePoll(path);
  return html`<section><h1>${title}</h1><p class="muted">as <code>${command}</code> lists them</p><${ErrorLine} error=${error} />
    <${Table} id=${path} rows=${data ? pick(data) : []} empty=${data ? 'none' : error ? '-' : 'loading…'} columns=${columns} /></section>`;
}

/** As `kb quota list` names an entity: user=alice,client-id=<default>. */
const entityName = (q) => q.entity.map((e) => `${e.entityType}=${e.entityName ?? '<default>'}`).join(',');

const listPages = {
  acls: { title: 'ACLs', path: 'acls', command: 'kb acl list', pick: (d) => d.acls, columns: ['principal', 'host', 'operation', 'permission', 'resourceType', 'resourceName', 'patternType'].map((key) => ({ key, label: key })) },
  users: { title: 'Users', path: 'users', command: 'kb user list', pick: (d) => d.users, columns: [{ key: 'name', label: 'User' }, { key: 'mechanisms', label: 'Mechanisms (iterations)', sort: (u) => u.mechanisms.length, render: (u) => u.mechanisms.map((m) => `${m.mechanism} (${m.iterations})`).join(', ') }] },
  quotas: { title: 'Client quotas', path: 'quotas', command: 'kb quota list', pick: (d) => d.quotas, columns: [{ key: 'entity', label: 'Entity', sort: (q) => entityName(q), render: entityName }, { key: 'values', label: 'Quotas', sort: (q) => Object.keys(q.values).length, render: (q) => Object.entries(q.values).map(([k, v]) => `${k}=${v}`).join(', ') }] },
  transactions: { title: 'Transactions', path: 'transactions', command: 'kb txn list', pick: (d) => d.transactions, columns: [{ key: 'transactionalId', label: 'Transactional id' }, { key: 'state', label: 'State' }, { key: 'producerId', label: 'Producer id' }, { key: 'coordinator', label: 'Coordinator' }] },
};

// ---- shell --------------------------------------------------------------

function Login() {
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const submit = (e) => {
    e.preventDefault();
    api('login', { method: 'POST', body: { password } }).then(() => setStatus({ login: false }), (err) => setError(err.message));
  };
  return html`<form class="form login" onSubmit=${submit}><h1>kb console</h1>
    <label>Password <input type="password" autofocus value=${password} onInput=${(e) => setPassword(e.target.value)} /></label>
    <button type="submit">Log in</button><${ErrorLine} error=${error} /></form>`;
}

function route(hash) {
  const [page, ...rest] = hash.replace(/^#\/?/, '').split('/');
  return { page: page || 'overview', arg: rest.length > 0 ? decodeURIComponent(rest.join('/')) : null };
}

const nav = [['overview', 'Overview'], ['topics', 'Topics'], ['groups', 'Consumer groups'], ['balance', 'Reassignments'], ['acls', 'ACLs'], ['users', 'Users'], ['quotas', 'Quotas'], ['transactions', 'Transactions']];

function App() {
  const [where, setWhere] = useState(route(location.hash));
  const [shared, setShared] = useState(status);
  const [theme, setTheme] = useState(localStorage.getItem('kb-theme') ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  useEffect(() => {
    const onHash = () => setWhere(route(location.hash));
    addEventListener('hashchange', onHash);
    listeners.add(setShared);
    api('session').then((s) => setStatus({ login: s.loginRequired && !s.authenticated }), () => {});
    return () => (removeEventListener('hashchange', onHash), listeners.delete(setShared));
  }, []);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('kb-theme', theme);
  }, [theme]);
  if (shared.login) return html`<${Login} />`;
  const { page, arg } = where;
  let view;
  if (page === 'overview') view = html`<${Overview} />`;
  else if (page === 'topics') view = arg === null ? html`<${Topics} />` : html`<${TopicDetail} key=${arg} name=${arg} />`;
  else if (page === 'groups') view = arg === null ? html`<${Groups} />` : html`<${GroupDetail} key=${arg} id=${arg} />`;
  else if (page === 'balance') view = html`<${Balance} />`;
  else if (listPages[page]) view = html`<${ListPage} key=${page} ...${listPages[page]} />`;
  else view = html`<h1>Not found</h1><p>No page at ${location.hash}.</p>`;
  return html`<header>
      <a class="brand" href="#/">kb console</a>
      <nav aria-label="pages">${nav.map(([id, label]) => html`<a href=${`#/${id}`} aria-current=${page === id ? 'page' : undefined}>${label}</a>`)}</nav>
      <button class="theme" onClick=${() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label="switch theme">${theme === 'dark' ? '☀ light' : '☾ dark'}</button>
    </header>
    ${shared.clusterDown && html`<div class="banner" role="alert" data-test="cluster-down">The cluster cannot be reached: ${shared.clusterDown}. Showing the last data seen; retrying every ${refreshMs / 1000} s.</div>`}
    <main>${view}</main>`;
}

render(html`<${App} />`, document.getElementById('app'));
