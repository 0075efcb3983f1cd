"""Hostile texts (after the OWASP XSS filter evasion cheat sheet) for story titles, bodies, tags
and replies: each tries to run a script, and must come out as inert text or safe markup."""

from __future__ import annotations

# Each would call alert(), or open a javascript: or data: URL, if it were passed on as HTML.
PAYLOADS = [
    "<script>alert('xss-1')</script>",
    "<SCRIPT SRC=//example.org/xss.js></SCRIPT>",
    "<img src=x onerror=alert('xss-2')>",
    "<svg onload=alert('xss-3')>",
    "<svg><script>alert('xss-4')</script></svg>",
    "<body onload=alert('xss-5')>",
    "<iframe src=\"javascript:alert('xss-6')\"></iframe>",
    "<a href=\"javascript:alert('xss-7')\">raw link</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert('xss-8')\">ent</a>",
    "[md link](javascript:alert('xss-9'))",
    "[md entity](&#106;avascript:alert('xss-10'))",
    "[md upper](JaVaScRiPt:alert('xss-11'))",
    "[md spaced](java\tscript:alert('xss-12'))",
    "[md data](data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzJyk8L3NjcmlwdD4=)",
    "[md vb](vbscript:msgbox('xss-13'))",
    "![img](javascript:alert('xss-14'))",
    "![img onerror](x\" onerror=\"alert('xss-15'))",
    "<javascript:alert('xss-16')>",
    "<http://example.org/\" onmouseover=\"alert('xss-17')>",
    "`<script>alert('xss-18')</script>`",
    "```\n<script>alert('xss-19')</script>\n```",
    "<div style=\"background:url(javascript:alert('xss-20'))\">styled</div>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-21')>",
    "<details open ontoggle=alert('xss-22')>",
    "\"><script>alert('xss-23')</script>",
    "'><img src=x onerror=alert('xss-24')>",
    "<object data=\"javascript:alert('xss-25')\"></object>",
    "<form action=\"javascript:alert('xss-26')\"><button>go</button></form>",
    "<input autofocus onfocus=alert('xss-27')>",
    "[ref][x]\n\n[x]: javascript:alert('xss-28')",
    "<!--<script>alert('xss-29')</script>-->",
    "<a href=\"  javascript:alert('xss-30')\">lead space</a>",
]
