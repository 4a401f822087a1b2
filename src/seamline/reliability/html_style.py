"""The HTML report's stylesheet: inline, so the file opens offline."""

CSS = """
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff;
--shadow:#f59e0b;--on:#2563eb;--off:#a855f7;--bad:#ef4444;--good:#16a34a}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:40px 28px 64px}
header{margin-bottom:28px}
.eyebrow{margin:0;color:var(--on);font-weight:700;font-size:12px;letter-spacing:.08em;
text-transform:uppercase}
h1{margin:6px 0 4px;font-size:30px;letter-spacing:-.02em}
.sub{margin:0;color:var(--muted)}
.headline{margin:14px 0 0;font-size:17px;max-width:80ch;line-height:1.55}
h2{margin:0 0 6px;font-size:19px;letter-spacing:-.01em}
h3{font-size:15px;margin:22px 0 10px;display:flex;gap:8px;align-items:center}
h3 small{color:var(--muted);font-weight:400}
h4{margin:0 0 6px;font-size:13px}
section{background:var(--card);border:1px solid var(--line);border-radius:14px;
padding:22px 24px;margin:0 0 20px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
.lede{margin:0 0 14px;color:var(--muted);max-width:78ch;font-size:14px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:14px;
background:none;border:0;padding:0;box-shadow:none}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:16px 18px;
border-top:4px solid var(--accent)}
.kpi-label{color:var(--muted);font-size:12px;font-weight:600;text-transform:uppercase;
letter-spacing:.05em}
.kpi-value{font-size:30px;font-weight:750;letter-spacing:-.02em;margin:4px 0 2px;
font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.kpi-note{color:var(--muted);font-size:13px}
svg.chart{display:block;max-width:100%;height:auto}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13.5px;font-variant-numeric:tabular-nums}
th,td{padding:7px 10px;text-align:right;white-space:nowrap;border-bottom:1px solid var(--line)}
thead th{color:var(--muted);font-weight:600;font-size:12px;text-transform:uppercase;
letter-spacing:.03em;border-bottom:2px solid var(--line);white-space:normal}
th:first-child,td:first-child,.mode{text-align:left}
tbody th{font-weight:650}
tr.group>*{border-top:2px solid var(--line)}
table.e2e td{font-weight:600}
small{color:var(--muted)}
.meter{display:inline-block;width:56px;height:7px;border-radius:4px;background:var(--line);
margin-right:8px;vertical-align:middle;overflow:hidden}
.meter span{display:block;height:100%;background:var(--good)}
.pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:650;
color:#fff;background:var(--muted)}
.pill.shadow{background:var(--shadow)}.pill.on{background:var(--on)}.pill.off{background:var(--off)}
details.task{border:1px solid var(--line);border-radius:10px;margin:8px 0;background:#fff}
details.task[open]{box-shadow:0 4px 14px rgba(15,23,42,.07)}
summary{cursor:pointer;padding:10px 14px;display:flex;gap:10px;align-items:baseline;
flex-wrap:wrap;list-style-position:inside}
summary .run{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
summary .status{color:var(--muted);font-size:13px}
summary .reason{color:var(--muted);font-size:13px;flex-basis:100%;padding-left:18px}
.badge{font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.05em;
padding:2px 8px;border-radius:6px;background:#fee2e2;color:#b91c1c}
.badge.escaped{background:#fef3c7;color:#92400e}
.badge.false-alarm{background:#e0f2fe;color:#075985}
.badge.waiting{background:#ede9fe;color:#5b21b6}
.badge.wrong{background:#fef3c7;color:#92400e}
.note{margin:10px 0 0;color:#5b21b6;font-size:14px;max-width:80ch}
.diff{border-top:1px dashed var(--line);padding-top:12px;margin-top:12px}
table.fields td,table.fields th{text-align:left;white-space:normal}
table.fields tr.bad td{background:#fef2f2;color:#991b1b}
table.fields tr.ok td:last-child{color:var(--good)}
details.raw{margin-top:8px}details.raw summary{padding:4px 0;font-size:13px;color:var(--muted)}
td.name,th.name{text-align:left;white-space:normal}
.badge.caught{background:#ffedd5;color:#9a3412}
.task-body{padding:4px 16px 16px}
.verdict{border-top:1px dashed var(--line);padding-top:12px;margin-top:12px}
.verdict-head{font-size:14px;margin-bottom:8px}
.verdict-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
@media (max-width:760px){.verdict-grid{grid-template-columns:1fr}}
ul.checks{list-style:none;margin:0;padding:0}
li.check{padding:6px 0;border-bottom:1px solid var(--line);font-size:13.5px}
li.check .outcome{display:inline-block;min-width:62px;font-size:11px;font-weight:700;
text-transform:uppercase;color:var(--good)}
li.check.failed .outcome,li.check.error .outcome{color:var(--bad)}
li.check.skipped .outcome{color:var(--muted)}
.why{color:#334155;margin:2px 0 0 62px}
pre{margin:0;background:#0f172a;color:#e2e8f0;border-radius:8px;padding:12px 14px;font-size:12.5px;
overflow:auto;max-height:340px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.error{color:#b91c1c;font-size:13.5px;margin:8px 0}
.mismatch ul{margin:0;padding-left:18px}
.empty{color:var(--muted)}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:28px}
"""
