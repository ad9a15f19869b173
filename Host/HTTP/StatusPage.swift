/// The page a node serves at `/`: its status, and — when the app is the robot
/// — the robot on its grid with the recent commands and who proposed them,
/// refreshed live from `/v1/events`.
enum StatusPage {
    static let html = #"""
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Baton node</title>
    <style>
      body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
      #grid { display: inline-grid; gap: 2px; margin: 12px 0; }
      .cell { width: 34px; height: 34px; background: #eef2f5; display: flex; align-items: center;
              justify-content: center; font-size: 22px; }
      .wall { background: #55606b; }
      .robot { background: #ffd166; }
      table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: left; }
      code { font-size: 12px; }
      .alert { background: #ffe0e0; border: 1px solid #c33; padding: 8px 12px; margin: 8px 0; }
    </style></head>
    <body>
      <h1>Baton node</h1>
      <div id="alerts"></div>
      <div id="status">connecting…</div>
      <div id="committee"></div>
      <div id="grid"></div>
      <h3>Recent commands</h3>
      <table id="recent"><tr><th>height</th><th>command</th><th>source</th><th>proposer</th></tr></table>
    <script>
    const arrows = { north: "▲", east: "▶", south: "▼", west: "◀" };
    async function refresh() {
      const status = await (await fetch("/v1/status")).json();
      document.getElementById("status").innerHTML =
        `view <b>${status.view}</b> · finalized height <b id="height">${status.finalizedHeight}</b> · peers ${status.peers}` +
        ` · plugin ${status.plugin.name} ${status.plugin.version || ""}` +
        (status.plugin.sha256 ? ` (<code>${status.plugin.sha256.slice(0, 12)}</code>${status.plugin.plan ? ", pinned by the upgrade plan in force" : status.plugin.pinned ? ", pinned by the genesis" : ", not pinned"})` : "") +
        ` · state <code>${status.stateHash.slice(0, 16)}</code>`;
      // Trouble first: a diverged app, proposals refused for their app state.
      const alerts = [];
      if (status.appDiverged) alerts.push(`<b>App diverged</b> at height ${status.appDiverged.height}: ` +
        `this node <code>${status.appDiverged.ownHash.slice(0, 16)}</code>, the quorum ` +
        `<code>${status.appDiverged.otherHash.slice(0, 16)}</code>. The node stopped; see its log.`);
      // Issue 29: a plugin call past its budget, while it runs.
      for (const stuck of (status.plugin && status.plugin.stuck) || []) alerts.push(`<b>Plugin stuck</b>: ${stuck.text}`);
      if (status.busy) {
        // The loop is held (the other routes would wait for it): say so, and look again next tick.
        alerts.push(`<b>Node busy</b>: ${status.busy}`);
        document.getElementById("alerts").innerHTML = alerts.map(a => `<div class="alert">${a}</div>`).join("");
        return;
      }
      const refusal = status.appState && status.appState.lastRefusal;
      if (refusal) alerts.push(`${status.appState.refusedProposals} proposals not voted for: app state differs ` +
        `(last at height ${refusal.height}, member ${refusal.proposer})`);
      // Live upgrades: what the chain decided, and this node's side of it.
      const upgrade = await (await fetch("/v1/upgrade")).json();
      for (const plan of upgrade.decided || []) {
        alerts.push(plan.inEffect
          ? `<span id="upgraded">Application upgraded at height ${plan.fromHeight} to ${plan.plugin} ${plan.version}</span> (decided at ${plan.decidedAt})`
          : `Upgrade decided: ${plan.plugin} ${plan.version} from height ${plan.fromHeight} (in ${plan.fromHeight - status.finalizedHeight} blocks)`);
      }
      for (const plan of upgrade.open || []) alerts.push(`Upgrade proposed: ${plan.plugin} ${plan.version} from height ${plan.fromHeight}, ` +
        `approved by ${plan.approvers.length} members, until height ${plan.expiresAtHeight}`);
      if (status.upgrade && status.upgrade.awaitingPlugin) alerts.push(`<b>Stopped applying blocks</b>: ${status.upgrade.problem}`);
      else if (status.upgrade && status.upgrade.problem) alerts.push(`<b>Upgrade not ready on this node</b>: ${status.upgrade.problem}`);
      const excluded = ((status.leaders && status.leaders.members) || []).filter(m => m.standing !== "active");
      if (excluded.length) alerts.push(`Leads less (leader reputation): ` + excluded.map(m => `member ${m.member} ` +
        (m.standing === "failing" ? `failed its last leader slot` : `absent from the last blocks`) +
        ` (${m.proposed} proposed, ${m.failed} failed, ${m.voted} votes in the window)`).join("; ") +
        ` · ${status.leaders.skippedViews} views' leaders passed over`);
      if (status.evidence > 0) alerts.push(`${status.evidence} misbehavior proofs kept ` +
        `(<a href="/v1/evidence">evidence</a>: double proposals, votes or timeouts)`);
      document.getElementById("alerts").innerHTML = alerts.map(a => `<div class="alert">${a}</div>`).join("");
      // The committee in force and every change (issue 17).
      const committee = await (await fetch("/v1/committee")).json();
      const changes = (committee.changes || []).map(c =>
        `epoch ${c.epoch} after height ${c.afterHeight}: ${c.members} members, weight ${c.totalWeight}`);
      const open = (committee.open || []).map(p =>
        `proposed: ${p.members.length} members, approved by ${p.approvers.length}, until height ${p.expiresAtHeight}`);
      document.getElementById("committee").innerHTML =
        `committee <span id="epoch">epoch ${committee.epoch}</span>: ` +
        committee.members.map(m => `${m.index}:<code>${m.publicKey.slice(0, 10)}</code>×${m.weight}`).join(" ") +
        (committee.thisNode.member === null ? " · this node follows" : ` · this node is member ${committee.thisNode.member}`) +
        (changes.length + open.length ? `<br>changes: ${changes.concat(open).join(" · ")}` : "");
      const answer = await fetch("/v1/apps/query");
      if (!answer.ok) return;
      const app = await answer.json();
      if (!app.robot) return;
      const grid = document.getElementById("grid");
      grid.style.gridTemplateColumns = `repeat(${app.grid.width}, 34px)`;
      grid.innerHTML = "";
      const walls = new Set(app.grid.obstacles.map(o => `${o.x},${o.y}`));
      for (let y = 0; y < app.grid.height; y++) for (let x = 0; x < app.grid.width; x++) {
        const cell = document.createElement("div");
        cell.className = "cell" + (walls.has(`${x},${y}`) ? " wall" : "");
        if (app.robot.x === x && app.robot.y === y) { cell.className += " robot"; cell.id = "robot";
          cell.dataset.x = x; cell.dataset.y = y; cell.textContent = arrows[app.robot.heading]; }
        grid.appendChild(cell);
      }
      const table = document.getElementById("recent");
      table.innerHTML = "<tr><th>height</th><th>command</th><th>source</th><th>proposer</th></tr>" +
        app.recent.slice().reverse().map(r =>
          `<tr><td>${r.height}</td><td>${r.command}</td><td>${r.source}</td><td><code>${r.proposer.slice(0, 12)}</code></td></tr>`).join("");
    }
    refresh();
    const events = new EventSource("/v1/events");
    events.addEventListener("finalized", refresh);
    setInterval(refresh, 2000);
    </script>
    </body></html>
    """#
}
