#!/usr/bin/env bash
# A scratch org ready for the CLM connector: create it from config/, install CPQ when a package version id is
# given, create the API-only integration user, run `sf clm org setup`, seed sample records and run the pre-flight
# check (`sf clm rules validate`). Needs a Dev Hub logged in to the sf CLI and the plugin linked
# (`sf plugins link connector-service`). SF=/path/to/sf overrides the CLI (tests use a stand-in).
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/setup-scratch-org.sh [-a alias] [-v dev-hub] [-c cpq-package-version-id] [-d days]

  -a  alias of the new scratch org (default clm-scratch)
  -v  Dev Hub username or alias (default: the CLI's target-dev-hub)
  -c  Salesforce CPQ package version id (04t…) to install; the CPQ scratch definition is used then
  -d  days the org lives (default 7)
USAGE
}

SF=${SF:-sf}
ALIAS=clm-scratch
DEVHUB=
CPQ_PACKAGE=
DAYS=7
while getopts 'a:v:c:d:h' opt; do
    case "$opt" in
        a) ALIAS=$OPTARG ;;
        v) DEVHUB=$OPTARG ;;
        c) CPQ_PACKAGE=$OPTARG ;;
        d) DAYS=$OPTARG ;;
        h) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
if [[ -n "$CPQ_PACKAGE" && ! "$CPQ_PACKAGE" =~ ^04t[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$ ]]; then
    echo "error: -c takes a package version id (04t followed by 12 or 15 characters), not '$CPQ_PACKAGE'" >&2
    exit 2
fi
if [[ ! "$DAYS" =~ ^[0-9]+$ ]] || (( DAYS < 1 || DAYS > 30 )); then
    echo "error: -d takes a number of days from 1 to 30, not '$DAYS'" >&2
    exit 2
fi

cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }
# The id of the record a `sf data create record --json` call created.
record_id() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).result;if(!r||!r.id){process.exit(1)}process.stdout.write(r.id)})'; }

DEFINITION=config/project-scratch-def.json
[[ -n "$CPQ_PACKAGE" ]] && DEFINITION=config/cpq-scratch-def.json

step "Creating scratch org $ALIAS from $DEFINITION"
"$SF" org create scratch --definition-file "$DEFINITION" --alias "$ALIAS" --duration-days "$DAYS" --wait 20 \
    ${DEVHUB:+--target-dev-hub "$DEVHUB"}

if [[ -n "$CPQ_PACKAGE" ]]; then
    step "Installing Salesforce CPQ ($CPQ_PACKAGE)"
    "$SF" package install --package "$CPQ_PACKAGE" --target-org "$ALIAS" --wait 30 --publish-wait 10 \
        --security-type AdminsOnly --no-prompt
fi

INTEGRATION_USER="clm-integration-$(date +%s)@example.com"
step "Creating the integration user $INTEGRATION_USER"
"$SF" org create user --target-org "$ALIAS" --set-alias "$ALIAS-integration" \
    "username=$INTEGRATION_USER" "email=$INTEGRATION_USER" "lastName=Integration" \
    "profileName=Minimum Access - API Only Integrations"

step "Setting the org up for the connector"
"$SF" clm org setup --target-org "$ALIAS" --integration-user "$INTEGRATION_USER"

step "Seeding sample data"
ACCOUNT_ID=$("$SF" data create record --target-org "$ALIAS" --sobject Account --json \
    --values "Name='Acme Sample' BillingStreet='1 Market St' BillingCity='San Francisco' BillingState='CA' BillingPostalCode='94105' BillingCountry='United States'" | record_id)
"$SF" data create record --target-org "$ALIAS" --sobject Contact --json \
    --values "FirstName='Pat' LastName='Signer' Email='pat.signer@example.com' AccountId='$ACCOUNT_ID'" >/dev/null
"$SF" data create record --target-org "$ALIAS" --sobject Opportunity --json \
    --values "Name='Acme Sample - Platform' StageName='Negotiation/Review' CloseDate='$(date -u +%Y-%m-%d)' Amount=120000 AccountId='$ACCOUNT_ID'" >/dev/null
"$SF" data create record --target-org "$ALIAS" --sobject Contract --json \
    --values "AccountId='$ACCOUNT_ID' StartDate='$(date -u +%Y-%m-%d)' ContractTerm=12 Status='Draft'" >/dev/null

step "Pre-flight check of the field rules"
"$SF" clm rules validate --target-org "$ALIAS" --integration-user "$INTEGRATION_USER"

step "Done: scratch org $ALIAS is ready (integration user $INTEGRATION_USER)"
