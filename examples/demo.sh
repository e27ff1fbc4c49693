#!/usr/bin/env bash
# The demo behind `make demo`: import the bundled example data into a fresh SQLite file,
# evaluate it, write the IVO quarter report, the committee pack and the internal-control
# report, and dry-run the reminders (.eml files).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-demo-out}
BEVAKA=${BEVAKA:-.venv/bin/bevaka}
AS_OF=2024-12-31
rm -rf "$OUT" && mkdir -p "$OUT"
export BEVAKA_DB="$OUT/bevaka.db" BEVAKA_CONFIG=config.toml

echo "== 1. Import Nyköping (register as XLSX with Swedish headers, agreements 2024 and 2026 as YAML)"
$BEVAKA import --org nykoping/von examples/beslut-2024.xlsx examples/nykoping-2024.yaml \
  examples/nykoping-2026.yaml examples/inlamnade-2024.csv examples/ivo-handelser-2024.yaml \
  examples/ivo-rapporteringsperioder.yaml examples/avtal-aterkommande.yaml

echo; echo "== 2. Rules: validate and run the examples inside the rule files"
$BEVAKA rules validate
$BEVAKA rules test | tail -1

echo; echo "== 3. Check Nyköping as of $AS_OF (open and recently met deadlines)"
$BEVAKA check --org nykoping/von --as-of "$AS_OF" --status overdue --status due --status upcoming
$BEVAKA check --org nykoping/von --as-of "$AS_OF" --json > "$OUT/findings-$AS_OF.json"

echo; echo "== 4. The IVO quarter 2024Q4 (Nyköping): IVO report, KF statistics, auditors, worksheets, avgift"
$BEVAKA report ivo --org nykoping/von --quarter 2024Q4 --out "$OUT/ivo" --format csv,xlsx,html,pdf
$BEVAKA report kf --org nykoping/von --quarter 2024Q4 --out "$OUT/ivo"
$BEVAKA report revision --org nykoping/von --quarter 2024Q4 --out "$OUT/ivo"
$BEVAKA report individrapport --org nykoping/von --quarter 2024Q4 --out "$OUT/individrapport"
$BEVAKA report avgift --org nykoping/von --as-of "$AS_OF" --out "$OUT/ivo" --format csv,xlsx

echo; echo "== 5. The main job (evaluate, audit log, reminders) as a dry run: .eml files, nothing sent"
$BEVAKA notify --as-of "$AS_OF" --dry-run --out "$OUT/eml"

echo; echo "== 6. Oxelösund, a second organisation: the balanslista of 2023-12-13 and the internal-control plan 2024"
$BEVAKA import --org oxelosund/von examples/oxelosund-moten.yaml examples/balanslista-2023-12-13.yaml \
  examples/internkontroll-2024.xlsx examples/kontrollresultat-2024.csv \
  examples/utredningar-bou-2024.csv examples/klagomal-2024.csv examples/oxelosund-skyldigheter.yaml \
  examples/beslut-2024.xlsx
$BEVAKA check --org oxelosund/von --as-of 2023-12-13 --rule balanslista.aterrapportering --rule balanslista.aterkommande \
  --status overdue --status due
echo "Risk = konsekvens × sannolikhet per kontrollpunkt (internkontroll.risk):"
$BEVAKA check --org oxelosund/von --as-of 2024-06-30 --rule internkontroll.risk --json \
  | .venv/bin/python -c 'import json, sys; [print("  punkt " + f["subject"] + ": " + f["why"].split(": ", 1)[1].split(" Riskmatris")[0]) for f in json.load(sys.stdin)]'

echo; echo "== 7. The committee's papers (Oxelösund): the pack for the meeting of 2023-12-13 and the internal-control report 2024"
$BEVAKA report namnd --org oxelosund/von --meeting 2023-12-13 --out "$OUT/namnd"
$BEVAKA report internkontroll --org oxelosund/von --plan 2024 --as-of 2024-11-20 --out "$OUT/internkontroll"
$BEVAKA check --org nykoping/von --as-of "$AS_OF" --format xlsx --out "$OUT/bevakningar-$AS_OF.xlsx" > /dev/null

echo; echo "== 8. Audit log"
$BEVAKA audit verify

echo
echo "Done. Files:"
echo "  database          $OUT/bevaka.db"
echo "  findings (JSON)   $OUT/findings-$AS_OF.json"
echo "  IVO quarter       $OUT/ivo/{ivo,kf,revision}-2024Q4.{csv,xlsx,html,pdf}, $OUT/ivo/avgift-$AS_OF.*"
echo "  worksheets        $OUT/individrapport/individrapport-2024Q4.{xlsx,pdf} (birth dates: keep private)"
echo "  findings (XLSX)   $OUT/bevakningar-$AS_OF.xlsx"
echo "  committee pack    $OUT/namnd/namnd-oxelosund-von-2023-12-13.html, .pdf, .xlsx"
echo "  internal control  $OUT/internkontroll/internkontroll-oxelosund-von-2024-2024-11-20.html, .pdf, .xlsx,"
echo "                    heat map -karta.png and -karta.svg"
echo "  reminder e-mails  $OUT/eml/*.eml ($(ls "$OUT"/eml/*.eml 2>/dev/null | wc -l) files)"
echo "Try: BEVAKA_DB=$OUT/bevaka.db $BEVAKA explain ivo.ej-verkstallt/D-2024-003 --as-of $AS_OF"
