"""The leadership report: incentive mix, payout sensitivity, alignment score and exposure of
every plan, rendered as one self-contained HTML page or a Markdown summary.

    analysis  runs the checks and assembles one frame per plan (``Leadership``)
    words     plain-language sentences and number formats, column-wise
    charts    inline SVG charts, each with a text alternative
    sections  the plan sections, the compact table and the roll-up rows of the page
    html      the HTML page (jinja2, autoescaped), ``render_html(leadership) -> str``
    markdown  the summary for a pull request or an e-mail, ``render_markdown(...) -> str``
"""

from __future__ import annotations
