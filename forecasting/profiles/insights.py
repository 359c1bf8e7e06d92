"""Key insights in words, each sentence built from figures on the page and listing them.

Why generated and traceable: partners quote these sentences. Each one is assembled from figures in the
profile document (never typed by hand), carries the ids of the figures it states and the exact text each
figure is shown as, so a test can check every number against its source row. A sentence whose figures are
missing is simply not written.
"""

from __future__ import annotations

from typing import Any

# Numbers as the page shows them: the same function formats the tables and the sentences.


def shown(value: float, unit: str) -> str:
    """A figure as people read it: £35,427m, £30,612, 4.3%, 3.1×, 12,345 businesses."""
    u = unit.lower()
    if u in ("gbp million", "£m", "gbp_million"):
        return f"£{value:,.0f}m"
    if u in ("gbp", "£", "pounds"):
        return f"£{value:,.0f}"
    if u in ("percent", "%", "per cent"):
        return f"{value:.1f}%"
    if u == "ratio":
        return f"{value:.1f}×"
    return f"{value:,.0f}"


def _fig(doc: dict[str, Any], fid: str) -> dict[str, Any] | None:
    return doc["figures"].get(fid)


def _num(fig: dict[str, Any], text: str | None = None) -> dict[str, Any]:
    return {"figure": fig["id"], "shown": text if text is not None else shown(fig["value"], fig["unit"])}


def _lq_numbers(kind: str, key: str, lq: float, what: str, text: str) -> list[dict[str, Any]]:
    """The two numbers a specialisation sentence states: the LQ and its share or jobs, as table ids."""
    return [
        {"figure": f"{kind}:{key}:lq", "shown": f"{lq:.1f}×"},
        {"figure": f"{kind}:{key}:{what}", "shown": text},
    ]


def _signed(v: float) -> str:
    return f"{v:+.1f}%".replace("-", "−")


def subject(area: dict[str, Any]) -> str:
    """How a sentence names the area: a combined authority is "West Midlands Combined Authority", so it is
    not read as the region of the same name; other areas by their name."""
    name = area["name"]
    if area["level"] == "combined_authority" and "combined" not in name.lower():
        return f"{name} Combined Authority"
    return name


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def insights(doc: dict[str, Any]) -> list[dict[str, Any]]:
    name = subject(doc["area"])
    out: list[dict[str, Any]] = []

    def add(text: str, numbers: list[dict[str, Any]], section: str) -> None:
        out.append(
            {"text": text, "section": section, "figures": [n["figure"] for n in numbers], "numbers": numbers}
        )

    gva = _fig(doc, "gva_cp")
    if gva and gva["geography"] == doc["area"]["code"]:
        nums = [_num(gva)]
        text = f"{possessive(name)} GVA was {nums[0]['shown']} in {gva['year']} (current prices)"
        g1 = _fig(doc, "gva_growth_1y")
        if g1:
            nums.append(_num(g1, _signed(g1["value"])))
            text += f", {nums[-1]['shown']} on {gva['year'] - 1}"
            comps = [c for c in (_fig(doc, "gva_growth_1y_midlands"), _fig(doc, "gva_growth_1y_uk")) if c]
            if comps:
                parts = []
                for c in comps:
                    nums.append(_num(c, _signed(c["value"])))
                    who = "the Midlands" if c["id"].endswith("midlands") else "the UK"
                    parts.append(f"{who} {nums[-1]['shown']}")
                text += " (" + ", ".join(parts) + ")"
        add(text + ".", nums, "economy")
    head, mid = _fig(doc, "gva_per_head"), _fig(doc, "gva_per_head_midlands")
    if head and mid and mid["value"]:
        diff = (head["value"] / mid["value"] - 1) * 100
        word = "above" if diff >= 0 else "below"
        nums = [_num(head), _num(mid)]
        add(
            f"GVA per head was {nums[0]['shown']} in {head['year']}, {abs(diff):.0f}% {word} the Midlands "
            f"({nums[1]['shown']}).",
            nums,
            "economy",
        )
    job, reg = _fig(doc, "gva_per_filled_job"), _fig(doc, "gva_per_filled_job_region")
    if job and reg and reg["value"] and job["geography"] == doc["area"]["code"]:
        diff = (job["value"] / reg["value"] - 1) * 100
        word = "above" if diff >= 0 else "below"
        nums = [_num(job), _num(reg)]
        region = reg["label"].rsplit(", ", 1)[-1]
        add(
            f"GVA per filled job was {nums[0]['shown']} in {job['year']}, {abs(diff):.0f}% {word} {region} "
            f"({nums[1]['shown']}).",
            nums,
            "economy",
        )
    ind = doc["sections"]["industry"]
    top = (ind.get("rows") or [None])[0] if ind.get("status") == "ok" else None
    if top and top["lq"] and top["lq"] >= 1.2:
        nums = _lq_numbers("industry", top["industry"], top["lq"], "share", f"{top['share'] * 100:.1f}%")
        where = "" if ind["geography"] == doc["area"]["code"] else f" (figures for {ind['geography_name']})"
        add(
            f"{top['name'].capitalize()} is {nums[0]['shown']} as concentrated as in the UK, {nums[1]['shown']} "
            f"of GVA in {ind['year']}{where}.",
            nums,
            "industry",
        )
    cl = doc["sections"]["clusters"]
    top = next((r for r in cl.get("rows", []) if r.get("present")), None)
    if top:
        nums = _lq_numbers("cluster", top["cluster"], top["lq"], "jobs", f"{top['jobs']:,.0f}")
        add(
            f"{top['name']} employment is {nums[0]['shown']} as concentrated as in Great Britain "
            f"({nums[1]['shown']} jobs in {', '.join(cl['geographies'])}, {cl['year']}).",
            nums,
            "clusters",
        )
    births, births_uk = _fig(doc, "business_birth_rate"), _fig(doc, "business_birth_rate_uk")
    if births and births_uk and births["geography"] == doc["area"]["code"]:
        nums = [_num(births), _num(births_uk)]
        add(
            f"New businesses were {nums[0]['shown']} of active businesses in {births['year']} "
            f"(UK {nums[1]['shown']}).",
            nums,
            "business",
        )
    fdi = _fig(doc, "fdi_inward_position")
    if fdi:
        nums = [_num(fdi)]
        own = fdi["geography"] == doc["area"]["code"]
        where = name if own else f"{fdi['geography_name']} (the finest area published)"
        add(
            f"The inward FDI position of {where} was {nums[0]['shown']} at the end of {fdi['year']}.",
            nums,
            "investment",
        )
    return out


def lookup(doc: dict[str, Any], figure_id: str) -> str | None:
    """The text a figure id is shown as (section tables included), for checking sentences."""
    if figure_id in doc["figures"]:
        f = doc["figures"][figure_id]
        return shown(f["value"], f["unit"])
    kind, key, what = (figure_id.split(":") + ["", ""])[:3]
    rows = doc["sections"].get("industry" if kind == "industry" else "clusters", {}).get("rows", [])
    for r in rows:
        if r.get("industry" if kind == "industry" else "cluster") == key:
            if what == "lq" and r.get("lq") is not None:
                return f"{r['lq']:.1f}×"
            if what == "share":
                return f"{r['share'] * 100:.1f}%"
            if what == "jobs":
                return f"{r['jobs']:,.0f}"
    return None
