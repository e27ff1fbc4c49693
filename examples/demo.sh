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

echo "== 1. Importera Nyköping (beslutsregistret som XLSX med svenska rubriker, överenskommelserna 2024 och 2026 som YAML)"
$BEVAKA import --org nykoping/von examples/beslut-2024.xlsx examples/nykoping-2024.yaml \
  examples/nykoping-2026.yaml examples/inlamnade-2024.csv examples/ivo-handelser-2024.yaml \
  examples/ivo-rapporteringsperioder.yaml examples/avtal-aterkommande.yaml

echo; echo "== 2. Regler: validera och kör exemplen i regelfilerna"
$BEVAKA rules validate
$BEVAKA rules test | tail -1

echo; echo "== 3. Bevakningar i Nyköping per $AS_OF (öppna frister)"
$BEVAKA check --org nykoping/von --as-of "$AS_OF" --status overdue --status due --status upcoming
$BEVAKA check --org nykoping/von --as-of "$AS_OF" --json > "$OUT/findings-$AS_OF.json"

echo; echo "== 4. IVO-kvartalet 2024Q4 (Nyköping): rapport till IVO, statistik till KF, revisorerna, arbetsblad, särskild avgift"
$BEVAKA report ivo --org nykoping/von --quarter 2024Q4 --out "$OUT/ivo" --format csv,xlsx,html,pdf
$BEVAKA report kf --org nykoping/von --quarter 2024Q4 --out "$OUT/ivo"
$BEVAKA report revision --org nykoping/von --quarter 2024Q4 --out "$OUT/ivo"
$BEVAKA report individrapport --org nykoping/von --quarter 2024Q4 --out "$OUT/individrapport"
$BEVAKA report avgift --org nykoping/von --as-of "$AS_OF" --out "$OUT/ivo" --format csv,xlsx

echo; echo "== 5. Det dagliga jobbet (utvärdering, revisionslogg, påminnelser) som provkörning: .eml-filer, inget skickas"
$BEVAKA notify --as-of "$AS_OF" --dry-run --out "$OUT/eml"

echo; echo "== 6. Oxelösund, en andra organisation: balanslistan 2023-12-13 och internkontrollplanen 2024"
$BEVAKA import --org oxelosund/von examples/oxelosund-moten.yaml examples/balanslista-2023-12-13.yaml \
  examples/internkontroll-2024.xlsx examples/kontrollresultat-2024.csv \
  examples/utredningar-bou-2024.csv examples/klagomal-2024.csv examples/oxelosund-skyldigheter.yaml \
  examples/beslut-2024.xlsx
$BEVAKA check --org oxelosund/von --as-of 2023-12-13 --rule balanslista.aterrapportering --rule balanslista.aterkommande \
  --status overdue --status due
echo "Risk = konsekvens × sannolikhet per kontrollpunkt (internkontroll.risk):"
$BEVAKA check --org oxelosund/von --as-of 2024-06-30 --rule internkontroll.risk --json \
  | .venv/bin/python -c 'import json, sys; [print("  punkt " + f["subject"] + ": " + f["why"].split(": ", 1)[1].split(" Riskmatris")[0]) for f in json.load(sys.stdin)]'

echo; echo "== 7. Nämndens handlingar (Oxelösund): underlaget till sammanträdet 2023-12-13 och uppföljningen av internkontrollen 2024"
$BEVAKA report namnd --org oxelosund/von --meeting 2023-12-13 --out "$OUT/namnd"
$BEVAKA report internkontroll --org oxelosund/von --plan 2024 --as-of 2024-11-20 --out "$OUT/internkontroll"
$BEVAKA check --org nykoping/von --as-of "$AS_OF" --format xlsx --out "$OUT/bevakningar-$AS_OF.xlsx" > /dev/null

echo; echo "== 8. Revisionsloggen"
$BEVAKA audit verify

echo
echo "Klart. Filer:"
echo "  databas              $OUT/bevaka.db"
echo "  bevakningar (JSON)   $OUT/findings-$AS_OF.json"
echo "  IVO-kvartalet        $OUT/ivo/{ivo,kf,revision}-2024Q4.{csv,xlsx,html,pdf}, $OUT/ivo/avgift-$AS_OF.*"
echo "  arbetsblad           $OUT/individrapport/individrapport-2024Q4.{xlsx,pdf} (födelsedatum: sprid inte)"
echo "  bevakningar (XLSX)   $OUT/bevakningar-$AS_OF.xlsx"
echo "  nämndens underlag    $OUT/namnd/namnd-oxelosund-von-2023-12-13.html, .pdf, .xlsx"
echo "  internkontroll       $OUT/internkontroll/internkontroll-oxelosund-von-2024-2024-11-20.html, .pdf, .xlsx,"
echo "                       riskkarta -karta.png och -karta.svg"
echo "  påminnelser (e-post) $OUT/eml/*.eml ($(ls "$OUT"/eml/*.eml 2>/dev/null | wc -l) filer)"
echo "Prova: BEVAKA_DB=$OUT/bevaka.db $BEVAKA explain ivo.ej-verkstallt/D-2024-003 --as-of $AS_OF"
