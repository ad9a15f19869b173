/// The chain node's page: the last blocks of the best chain, checkpointed
/// blocks marked, blocks that carry a certificate marked, live (polling).
enum ChainPage {
    static let html = """
    <!doctype html>
    <html><head><meta charset="utf-8"><title>powchain</title>
    <style>
    body { font-family: system-ui, sans-serif; margin: 2em; background: #fafafa; color: #222 }
    table { border-collapse: collapse } td, th { padding: 3px 10px; border-bottom: 1px solid #ddd; font-family: monospace }
    tr.checkpoint { background: #d8f5d0; font-weight: bold } .mark { color: #1a7f37 }
    #status { margin-bottom: 1em }
    </style></head>
    <body>
    <h1>Checkpoint-assisted proof-of-work chain</h1>
    <div id="status">loading…</div>
    <table><thead><tr><th>height</th><th>hash</th><th>miner</th><th>carries checkpoint</th><th></th></tr></thead>
    <tbody id="blocks"></tbody></table>
    <script>
    async function refresh() {
      try {
        const s = await (await fetch('/status')).json();
        const cp = s.latestCheckpoint ? '#' + s.latestCheckpoint.height + ' ' + s.latestCheckpoint.hash.slice(0, 12) : 'none';
        document.getElementById('status').textContent =
          'height ' + s.height + ' · latest checkpoint ' + cp + ' · certificates ' + s.checkpoints +
          ' · reorganisations ' + s.reorgs + ' · refused blocks ' + s.refusedBlocks + (s.federation ? '' : ' · no federation');
        const from = Math.max(0, s.height - 29);
        const h = await (await fetch('/chain/headers?from=' + from + '&count=30')).json();
        document.getElementById('blocks').innerHTML = h.headers.reverse().map(b =>
          '<tr class="' + (b.checkpointed ? 'checkpoint' : '') + '"><td>' + b.height + '</td><td>' + b.hash.slice(0, 16) +
          '</td><td>' + b.miner + '</td><td>' + (b.checkpointHeight ? '#' + b.checkpointHeight : '') +
          (b.carriesCertificate ? ' (certificate)' : '') + '</td><td class="mark">' + (b.checkpointed ? '✔ checkpoint' : '') +
          '</td></tr>').join('');
      } catch (e) { document.getElementById('status').textContent = 'node unreachable'; }
    }
    refresh(); setInterval(refresh, 1000);
    </script></body></html>
    """
}
