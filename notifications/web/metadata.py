"""Swedish titles, descriptions, facets and the canned queries of the web view (Datasette
metadata). Datasette < 1.0 has no translations: its own words (crumbs, counts, export links,
filters, facets, pagination, errors) are replaced by the Swedish templates in ``templates/``
(:mod:`notifications.web.svenska`); the canned queries hide their SQL (``hide_sql``), which
users cannot edit or run anyway."""

from __future__ import annotations

from typing import Any

DB = "bevaka"
PLUGIN = "bevaka-web"

_STATUS_COLUMNS = {
    "organisation": "Organisationen (kommun/nämnd).",
    "bevakning": "Bevakningens id: regel/ärende (och datum för återkommande).",
    "regel": "Regelns id.",
    "status": "Status per den senast loggade körningens datum.",
    "statuskod": "Statusen som kod (upcoming, due, overdue, resolved, passed, failed, met, "
                 "not_met, measured).",
    "arende": "Ärendets diarienummer eller punktens nummer: aldrig personuppgifter.",
    "frist": "Förfallodatum (frister).",
    "klar": "Dag då fristen möttes.",
    "kvartal": "Kvartalet för fristen (eller starten).",
    "lag": "Lagen eller grunden som bevakningen vilar på (SoL, LSS, KL, Avtal …).",
    "varfor": "Förklaringen på svenska, samma text som i påminnelserna.",
    "per": "Datum för organisationens senast loggade körning.",
}

TABLES: dict[str, dict[str, Any]] = {
    "bevakningar": {
        "title": "Bevakningar",
        "description": "Varje bevakning i det senast loggade tillståndet, med status, frist och "
                       "förklaring. Filtrera på organisation, regel, status och kvartal.",
        "facets": ["organisation", "regel", "status", "kvartal"],
        "sort": "frist",
        "columns": _STATUS_COLUMNS,
    },
    "bevakningar_per_kvartal": {
        "title": "Bevakningar per organisation, regel, status och kvartal",
        "description": "Antal bevakningar i varje grupp.",
        "facets": ["organisation", "kvartal"],
    },
    "korningar": {
        "title": "Körningar",
        "description": "Varje körning i revisionsloggen med antal ändringar, bevakningar i "
                       "tillståndet, beslutsposter, regler som misslyckades och jobbets heartbeat.",
        "sort_desc": "slutrad",
    },
    "andringar": {
        "title": "Ändringar",
        "description": "Ändringsposterna i revisionsloggen: nya, ändrade och borttagna bevakningar "
                       "per körning; återkallad eller gallrad när faktat togs bort.",
        "facets": ["andring", "organisation"],
    },
    "beslutsposter": {
        "title": "Beslutsposter",
        "description": "Hur varje ny eller ändrad bevakning avgjordes: regel, version och revision, "
                       "faktat den gällde (ärendet; själva indata finns bredvid loggen, bakom en "
                       "saltad kontrollsumma i den, och tas bort vid gallring) och utfall. "
                       "Spela upp med bevaka audit replay.",
        "facets": ["regel", "utfall"],
    },
    "utkorg": {
        "title": "Utkorgen",
        "description": "Påminnelserna som köats, skickats eller stoppats, utan meddelandetexter.",
        "facets": ["status", "organisation"],
    },
    "regler": {"title": "Regler", "description": "Reglerna med version, lagrum, giltighet och revision."},
}

QUERIES: dict[str, dict[str, Any]] = {
    "overskridna_frister": {
        "title": "Överskridna frister per kvartal och lag",
        "description": "Frister som har passerats: ännu inte åtgärdade (försenade) och åtgärdade "
                       "för sent, per organisation, kvartal och lag.",
        "sql": "SELECT organisation, kvartal, lag, count(*) AS antal, "
               "sum(statuskod = 'overdue') AS ej_atgardade, "
               "sum(statuskod = 'resolved') AS atgardade_for_sent "
               "FROM bevakningar WHERE typ = 'frist' AND (statuskod = 'overdue' OR "
               "(statuskod = 'resolved' AND klar > frist)) "
               "GROUP BY organisation, kvartal, lag ORDER BY organisation, kvartal, lag",
    },
    "per_regel_och_status": {
        "title": "Bevakningar per regel och status",
        "description": "Antal bevakningar för varje regel och status.",
        "sql": "SELECT organisation, regel, rubrik, status, count(*) AS antal FROM bevakningar "
               "GROUP BY organisation, regel, rubrik, status ORDER BY organisation, regel, status",
    },
    "korningar_utan_fynd": {
        "title": "Körningar utan fynd (heartbeat)",
        "description": "Körningar som inte gav någon ny eller ändrad bevakning, med jobbets "
                       "heartbeat: beviset att bevakningen gick även de dagar då inget hände.",
        "sql": "SELECT korning, per, kommando, bevakningar, jobb, heartbeat_start, heartbeat_ok, "
               "registrerad FROM korningar WHERE andringar = 0 ORDER BY slutrad DESC",
    },
    "andringar_mellan_korningar": {
        "title": "Ändringar mellan två körningar",
        "description": "Alla ändringsposter efter körningen Från till och med körningen Till "
                       "(körningarnas id står under Körningar).",
        "parametrar": {"fran": "Från körning (id)", "till": "Till och med körning (id)"},
        "sql": "SELECT korning, per, organisation, bevakning, andring, status, frist, klar "
               "FROM andringar WHERE seq > (SELECT slutrad FROM korningar WHERE korning = :fran) "
               "AND seq <= (SELECT slutrad FROM korningar WHERE korning = :till) ORDER BY seq",
    },
    "stoppade_meddelanden": {
        "title": "Meddelanden som stoppades för personuppgifter",
        "description": "Påminnelser som inte skickades eftersom texten innehöll ett personnummer "
                       "(numret visas aldrig).",
        "sql": "SELECT id, organisation, mottagare, roll, amne, fel, skapad, korning FROM utkorg "
               "WHERE status = 'stoppad' ORDER BY id",
    },
}

SETTINGS = {
    "default_allow_sql": False,  # no arbitrary SQL, only the canned queries
    "allow_download": False,  # the database file is never handed out
    "suggest_facets": False,
    "default_page_size": 100,
    "sql_time_limit_ms": 3000,
    "max_returned_rows": 5000,
    "allow_csv_stream": True,
}


def metadata(chain: dict[str, Any], warn_days: int) -> dict[str, Any]:
    """The Datasette metadata: Swedish texts, the views, canned queries, SQL switched off,
    and the plugin's settings (the chain status of the served snapshot, the alarm lead)."""
    return {
        "title": "bevaka – granskningsvy",
        "description_html": (
            "<p>Bevakningar, körningar, beslutsposter och utkorg ur en <strong>skrivskyddad "
            "ögonblicksbild</strong> av bevakas databas. Fritt SQL är avstängt; använd vyerna och "
            "de färdiga frågorna. Varje vy kan exporteras som CSV.</p>"
            '<p><a href="/-/sidor">Sidor per roll eller adress</a> (öppna bevakningar, de '
            "kommande 30 dagarna, riskkartan och kalenderflödet).</p>"),
        "databases": {DB: {"title": "Revisionsloggen och bevakningarna", "allow_sql": False,
                           "tables": TABLES,
                           "queries": {k: {**q, "hide_sql": True} for k, q in QUERIES.items()}}},
        "plugins": {PLUGIN: {"chain": chain, "warn_days": warn_days}},
    }
