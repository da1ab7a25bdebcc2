/** Panel CSS, scoped by the shadow root; colours follow the page theme (see theme.ts). */
export const PANEL_CSS = `
.p{--brand:var(--cb-brand,#E53935);--solid:var(--brand);--on:#fff;--ink:var(--ink-l,var(--brand));--bg:#fff;--fg:#1f2328;--muted:#6b7280;--bubble:#f1f2f5;--line:#e5e7eb;
--card:#fff;--ok:#15803d;--bad:#c62828;--ring:#1a73e8;--link:#0b57d0;--code:rgba(0,0,0,.06);color-scheme:light;
--ph:linear-gradient(135deg,#eef2f7,#d5deea);--phfg:#51627a;
position:fixed;right:24px;bottom:92px;width:380px;height:640px;max-height:calc(100vh - 116px);
display:flex;flex-direction:column;background:var(--bg);color:var(--fg);border-radius:16px;overflow:hidden;
box-shadow:0 12px 40px rgba(0,0,0,.22);z-index:2147483001;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;
text-align:left;letter-spacing:normal;text-transform:none}
.p[hidden]{display:none}
:host([data-position=bottom-left]) .p{right:auto;left:24px}
.p[data-theme=dark]{--bg:#1b1d23;--fg:#e8eaed;--muted:#9aa0a6;--bubble:#2a2d35;--line:#30333b;--card:#22252c;
--ok:#34d399;--bad:#f87171;--link:#8ab4f8;--code:rgba(255,255,255,.1);--ink:var(--ink-d,#ff8a80);--ph:linear-gradient(135deg,#2c313b,#1f232a);--phfg:#8fa3bf;color-scheme:dark}
@media (prefers-color-scheme:dark){.p[data-theme=auto]{--bg:#1b1d23;--fg:#e8eaed;--muted:#9aa0a6;--bubble:#2a2d35;
--line:#30333b;--card:#22252c;--ok:#34d399;--bad:#f87171;--link:#8ab4f8;--code:rgba(255,255,255,.1);--ink:var(--ink-d,#ff8a80);--ph:linear-gradient(135deg,#2c313b,#1f232a);--phfg:#8fa3bf;
color-scheme:dark}}
@media (max-width:480px){.p{inset:0;width:100%;height:100%;max-height:none;border-radius:0}}
*{box-sizing:border-box}
button{font:inherit;color:inherit}
:focus-visible{outline:2px solid var(--ring);outline-offset:2px}
.h{display:flex;align-items:center;gap:12px;padding:14px 16px;background:var(--solid);color:var(--on);flex:none}
.av{width:34px;height:34px;border-radius:50%;background:rgba(255,255,255,.22);display:grid;place-items:center;
font-weight:700;font-size:16px;flex:none;overflow:hidden}
.av img{width:100%;height:100%;object-fit:cover;display:block}
.ht{flex:1;min-width:0}
.ht h2{margin:0;font-size:15px;font-weight:700;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.ht p{margin:0;font-size:12px;line-height:1.35;display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.x{border:0;background:none;color:var(--on);width:32px;height:32px;border-radius:50%;cursor:pointer;font-size:22px;line-height:1}
.x:hover{background:rgba(255,255,255,.15)}
.list{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;overscroll-behavior:contain}
.m{flex:none;display:flex;flex-direction:column;align-items:flex-start;gap:8px;max-width:100%}
.m.me{align-items:flex-end}
.bub{max-width:82%;padding:9px 12px;border-radius:14px;background:var(--bubble);white-space:pre-wrap;overflow-wrap:anywhere}
.me .bub{background:var(--solid);color:var(--on)}
.me.pending .bub{opacity:.7}
.sys .bub{align-self:center;background:none;color:var(--muted);font-size:12px;text-align:center}
.who{font-size:11px;color:var(--muted);margin-bottom:-4px}
.dots{display:inline-flex;gap:4px;padding:4px 2px}
.dots i{width:7px;height:7px;border-radius:50%;background:var(--muted);animation:cb-blink 1.2s infinite}
.dots i:nth-child(2){animation-delay:.2s}.dots i:nth-child(3){animation-delay:.4s}
@keyframes cb-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}
@media (prefers-reduced-motion:reduce){.dots i{animation:none;opacity:.6}}
.tail::after{content:"▍";opacity:.6;margin-left:1px}
.md{white-space:normal}
.md>:first-child{margin-top:0}.md>:last-child{margin-bottom:0}
.md p,.md ul,.md ol,.md pre,.md blockquote,.md hr,.md div{margin:0 0 .5em}
.md ul,.md ol{padding-left:1.4em}.md li+li{margin-top:.15em}.md li>p{margin:0}
.md a{color:var(--link);text-decoration:underline;overflow-wrap:anywhere}
.md code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);
border-radius:4px;padding:1px 4px}
.md pre{white-space:pre-wrap;background:var(--code);border-radius:6px;padding:6px 8px}.md pre code{padding:0;background:none}
.md blockquote{border-left:3px solid var(--line);padding-left:8px;color:var(--muted)}
.md hr{border:0;border-top:1px solid var(--line)}
.md div{overflow-x:auto}.md table{border-collapse:collapse;font-size:13px}
.md th,.md td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
.cw{position:relative;align-self:stretch;max-width:100%}
.cards{display:flex;gap:8px;overflow-x:auto;max-width:100%;padding-bottom:4px;scroll-snap-type:x proximity;
scrollbar-width:thin}
.cw.fade .cards{-webkit-mask-image:linear-gradient(to right,#000 calc(100% - 48px),transparent);
mask-image:linear-gradient(to right,#000 calc(100% - 48px),transparent)}
.more{position:absolute;right:2px;top:34px;width:32px;height:32px;border-radius:50%;border:1px solid var(--line);
background:var(--bg);color:var(--fg);box-shadow:0 2px 8px rgba(0,0,0,.25);cursor:pointer;font-size:20px;line-height:1;
display:grid;place-items:center;padding:0 0 2px 2px}
.more[hidden]{display:none}
.card{flex:none;width:166px;border:1px solid var(--line);border-radius:10px;background:var(--card);color:inherit;
text-decoration:none;overflow:hidden;display:flex;flex-direction:column;scroll-snap-align:start}
.card:hover{border-color:var(--brand)}
.card img,.ph{width:100%;height:96px;object-fit:cover;display:block;background:var(--ph)}
.ph{display:grid;place-items:center;font-size:30px;font-weight:700;color:var(--phfg)}
.cb{padding:7px 8px;display:flex;flex-direction:column;gap:3px}
.cn{font-weight:700;font-size:13px;line-height:1.3}
.cm{font-size:12px;display:flex;gap:5px;align-items:baseline;white-space:nowrap;min-width:0}
.cm b{font-weight:700}
.cm .in,.cm .out{overflow:hidden;text-overflow:ellipsis}
.in{color:var(--ok)}.out{color:var(--bad)}
.chips{display:flex;flex-wrap:wrap;gap:6px}
.chip{border:1px solid var(--ink);color:var(--ink);background:none;border-radius:999px;padding:4px 11px;
cursor:pointer;font-size:13px}
.chip:hover{background:var(--solid);border-color:var(--solid);color:var(--on)}
.note{align-self:stretch;border:1px dashed var(--line);border-radius:10px;padding:8px 10px;font-size:12px;
color:var(--muted);text-align:center}
.away{align-self:stretch;display:flex;gap:6px;flex-wrap:wrap;align-items:center}
.away input{flex:1 1 160px;min-width:0;border:1px solid var(--line);border-radius:8px;padding:6px 8px;font:inherit;
background:var(--bg);color:inherit}
.away button{border:1px solid var(--brand);background:var(--brand);color:#fff;border-radius:8px;padding:6px 10px;
cursor:pointer;font:inherit}
.err{font-size:12px;color:var(--bad);display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.st{font-size:11px;color:var(--muted)}
.link{border:0;background:none;color:var(--ink);text-decoration:underline;cursor:pointer;padding:0;font-size:12px}
.bar{flex:none;font-size:12px;text-align:center;padding:6px;color:var(--muted);border-top:1px solid var(--line)}
.bar[hidden],.stopw[hidden]{display:none}
.stopw{display:flex;justify-content:center;padding:6px 0 0;flex:none}
.stop{border:1px solid var(--line);background:var(--bg);border-radius:999px;padding:4px 12px;cursor:pointer;font-size:12px}
.c{display:flex;gap:8px;align-items:flex-end;padding:10px 10px 4px;border-top:1px solid var(--line);flex:none}
textarea{flex:1;resize:none;border:1px solid var(--line);border-radius:20px;padding:9px 14px;font:inherit;
background:var(--bg);color:var(--fg);max-height:120px;min-height:40px;line-height:1.4}
textarea:focus{outline:none;border-color:var(--brand)}
.send{width:36px;height:36px;border-radius:50%;border:0;background:var(--solid);color:var(--on);cursor:pointer;flex:none;
display:grid;place-items:center}
.send:disabled{opacity:.5;cursor:default}
.send svg{width:18px;height:18px;fill:currentColor}
.f{margin:0;padding:4px 10px 10px;text-align:center;font-size:11px;color:var(--muted);flex:none}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:480px){textarea{font-size:16px;line-height:1.35}}
.rate{display:flex;flex-wrap:wrap;align-items:center;gap:4px 8px;padding:8px 14px;border-top:1px solid var(--line);
font-size:13px;color:var(--muted);flex:none}
.rate[hidden]{display:none}
.faces{display:flex;gap:2px}
.face{border:0;background:none;font-size:20px;line-height:1;padding:4px;border-radius:8px;cursor:pointer}
.face:hover:not(:disabled),.face[aria-pressed=true]{background:var(--bubble)}
.face:disabled{cursor:default}
.rc{display:flex;gap:6px;width:100%}
.rc[hidden]{display:none}
.rc input{flex:1;min-width:0;font:inherit;padding:5px 8px;border:1px solid var(--line);border-radius:8px;
background:var(--bg);color:var(--fg)}
`;
