#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Generate the tlspp test PKI into OUTDIR.
#
# Usage: make-pki.sh OUTDIR
#
# Run at build time (nothing with an expiry date is committed). The output is
# built in a staging directory next to OUTDIR and then moved into place, so a
# re-run always replaces the previous PKI completely. OUTDIR must not exist,
# be empty, or be a PKI previously produced by this script (marker file
# .tlspp-pki); anything else is refused so a typo cannot wipe a random
# directory. Set OPENSSL to use a specific openssl binary.
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi

OPENSSL=${OPENSSL:-openssl}
OUTDIR=${1%/}
[ -n "$OUTDIR" ] || { echo "make-pki.sh: refusing to use / as OUTDIR" >&2; exit 2; }
MARKER=.tlspp-pki

if [ -e "$OUTDIR" ]; then
    if [ ! -d "$OUTDIR" ]; then
        echo "make-pki.sh: $OUTDIR exists and is not a directory" >&2
        exit 1
    fi
    if [ ! -e "$OUTDIR/$MARKER" ] && [ -n "$(ls -A "$OUTDIR")" ]; then
        echo "make-pki.sh: $OUTDIR is not empty and was not created by make-pki.sh; refusing to wipe it" >&2
        exit 1
    fi
fi

parent=$(dirname "$OUTDIR")
mkdir -p "$parent"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tlspp-pki-work.XXXXXX")
STAGE=$(mktemp -d "$parent/.$(basename "$OUTDIR").tmp.XXXXXX")
cleanup() { rm -rf "$WORK" "$STAGE"; }
trap cleanup EXIT

LOG=$WORK/openssl.log
: >"$LOG"

# Run openssl quietly; on failure show its output and abort.
ossl() {
    if ! "$OPENSSL" "$@" >>"$LOG" 2>&1; then
        echo "make-pki.sh: '$OPENSSL $*' failed:" >&2
        tail -n 40 "$LOG" >&2
        exit 1
    fi
}

# ---------------------------------------------------------------------------
# Dates (UTCTime, YYMMDDHHMMSSZ) relative to a single "now".
NOW=$(date -u +%s)
DAY=86400
ts() { date -u -d "@$((NOW + $1 * DAY))" +%y%m%d%H%M%SZ; }

CA_START=$(ts -60)     # CAs: backdated so every leaf lies inside them
CA_END=$(ts 3650)
LEAF_START=$(ts -1)    # leaves: backdated a day to tolerate clock skew
LEAF_END=$(ts 825)
EXPIRED_START=$(ts -30)
EXPIRED_END=$(ts -1)
FUTURE_START=$(ts 10)
FUTURE_END=$(ts 835)
CRL_OCSP_DAYS=30

# ---------------------------------------------------------------------------
# Config shared by req/ca/x509. CA_DIR selects the CA, SAN the subjectAltName.
CNF=$WORK/openssl.cnf
export CA_DIR=$WORK/ca/none
export SAN="DNS:localhost, IP:127.0.0.1"
# The OCSP responder that server leaves name: libtls checks a stapled response
# only for a certificate naming a responder. Nothing listens there; tests staple.
export OCSP_URL=http://ocsp.tlspp.test/
cat >"$CNF" <<'CNF_EOF'
[ca]
default_ca = ca_default

[ca_default]
dir              = $ENV::CA_DIR
database         = $dir/index.txt
serial           = $dir/serial
crlnumber        = $dir/crlnumber
new_certs_dir    = $dir/newcerts
certificate      = $dir/ca.crt
private_key      = $dir/ca.key
default_md       = sha256
default_days     = 825
default_crl_days = 30
policy           = policy_any
unique_subject   = no
copy_extensions  = none
email_in_dn      = no
preserve         = yes
crl_extensions   = ext_crl

[policy_any]
organizationName = optional
commonName       = supplied

[req]
distinguished_name = req_dn
prompt             = no
string_mask        = utf8only
default_md         = sha256

[req_dn]
CN = placeholder

[ext_root]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ext_intermediate]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, digitalSignature, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ext_deep_ca]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, digitalSignature, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ext_server_ec]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = $ENV::SAN
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess    = OCSP;URI:$ENV::OCSP_URL

[ext_server_rsa]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = $ENV::SAN
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
authorityInfoAccess    = OCSP;URI:$ENV::OCSP_URL

[ext_selfsigned]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = $ENV::SAN
subjectKeyIdentifier   = hash

[ext_client]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature
extendedKeyUsage       = clientAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ext_crl]
authorityKeyIdentifier = keyid:always
CNF_EOF
export OPENSSL_CONF=$CNF

O=$STAGE

# ---------------------------------------------------------------------------
# Helpers.
key_ec()  { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
                 -pkeyopt ec_param_enc:named_curve -out "$1"; }
key_rsa() { ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }

# init_ca NAME: create the openssl-ca database for CA NAME.
init_ca() {
    local d=$WORK/ca/$1
    mkdir -p "$d/newcerts"
    : >"$d/index.txt"
    echo "unique_subject = no" >"$d/index.txt.attr"
    ossl rand -hex -out "$d/serial" 16
    echo 1000 >"$d/crlnumber"
}

# sign CA EXT SUBJ KEY OUT START END [SAN]: issue a certificate from CA.
sign() {
    local ca=$1 ext=$2 subj=$3 key=$4 out=$5 start=$6 end=$7
    local csr
    csr=$WORK/$(basename "$out").csr
    ossl req -new -config "$CNF" -key "$key" -subj "$subj" -out "$csr"
    CA_DIR=$WORK/ca/$ca SAN=${8:-$SAN} ossl ca -batch -notext -config "$CNF" \
        -extensions "$ext" -startdate "$start" -enddate "$end" \
        -in "$csr" -out "$out"
}

# new_ca NAME PARENT SUBJ EXT: CA cert+key at $O/NAME.crt/.key (PARENT=self for a root).
new_ca() {
    local name=$1 parent=$2 subj=$3 ext=$4
    init_ca "$name"
    key_ec "$O/$name.key"
    if [ "$parent" = self ]; then
        local csr=$WORK/$name.csr
        ossl req -new -config "$CNF" -key "$O/$name.key" -subj "$subj" -out "$csr"
        CA_DIR=$WORK/ca/$name ossl ca -batch -notext -config "$CNF" -selfsign \
            -keyfile "$O/$name.key" -extensions "$ext" \
            -startdate "$CA_START" -enddate "$CA_END" -in "$csr" -out "$O/$name.crt"
    else
        sign "$parent" "$ext" "$subj" "$O/$name.key" "$O/$name.crt" "$CA_START" "$CA_END"
    fi
    cp "$O/$name.crt" "$WORK/ca/$name/ca.crt"
    cp "$O/$name.key" "$WORK/ca/$name/ca.key"
}

# leaf NAME CA KEYTYPE EXT SUBJ START END [SAN] [CHAIN...]:
# NAME.key, NAME.crt and NAME-chain.pem (leaf + CHAIN certs).
leaf() {
    local name=$1 ca=$2 ktype=$3 ext=$4 subj=$5 start=$6 end=$7 san=$8
    shift 8
    "key_$ktype" "$O/$name.key"
    sign "$ca" "$ext" "$subj" "$O/$name.key" "$O/$name.crt" "$start" "$end" "$san"
    cat "$O/$name.crt" "$@" >"$O/$name-chain.pem"
}

ocsp_response() { # ocsp_response CA CERT OUT
    local ca=$1 cert=$2 out=$3 req
    req=$WORK/$(basename "$3").req
    ossl ocsp -issuer "$WORK/ca/$ca/ca.crt" -cert "$cert" -no_nonce -reqout "$req"
    ossl ocsp -index "$WORK/ca/$ca/index.txt" -CA "$WORK/ca/$ca/ca.crt" \
        -rsigner "$WORK/ca/$ca/ca.crt" -rkey "$WORK/ca/$ca/ca.key" \
        -reqin "$req" -respout "$out" -ndays "$CRL_OCSP_DAYS"
}

LOCAL="DNS:localhost, IP:127.0.0.1"
ORG="/O=tlspp test"
INT_CHAIN=$O/intermediate-ca.crt

# ---------------------------------------------------------------------------
# CAs.
new_ca root-ca         self    "$ORG/CN=tlspp test root CA"         ext_root
new_ca intermediate-ca root-ca "$ORG/CN=tlspp test intermediate CA" ext_intermediate
cp "$O/root-ca.crt" "$O/ca-bundle.pem"

# Leaves from the intermediate.
leaf server-ecdsa intermediate-ca ec  ext_server_ec  "$ORG/CN=localhost" "$LEAF_START" "$LEAF_END" "$LOCAL" "$INT_CHAIN"
leaf server-rsa   intermediate-ca rsa ext_server_rsa "$ORG/CN=localhost" "$LEAF_START" "$LEAF_END" "$LOCAL" "$INT_CHAIN"
leaf sni-other    intermediate-ca ec  ext_server_ec  "$ORG/CN=other.test" "$LEAF_START" "$LEAF_END" "DNS:other.test" "$INT_CHAIN"
leaf client       intermediate-ca ec  ext_client     "$ORG/CN=tlspp test client" "$LEAF_START" "$LEAF_END" "$LOCAL" "$INT_CHAIN"
leaf expired      intermediate-ca ec  ext_server_ec  "$ORG/CN=localhost" "$EXPIRED_START" "$EXPIRED_END" "$LOCAL" "$INT_CHAIN"
leaf notyetvalid  intermediate-ca ec  ext_server_ec  "$ORG/CN=localhost" "$FUTURE_START" "$FUTURE_END" "$LOCAL" "$INT_CHAIN"
leaf wrongname    intermediate-ca ec  ext_server_ec  "$ORG/CN=wrong.test" "$LEAF_START" "$LEAF_END" "DNS:wrong.test" "$INT_CHAIN"
leaf revoked      intermediate-ca ec  ext_server_ec  "$ORG/CN=localhost" "$LEAF_START" "$LEAF_END" "$LOCAL" "$INT_CHAIN"
CA_DIR=$WORK/ca/intermediate-ca ossl ca -config "$CNF" -revoke "$O/revoked.crt" -crl_reason keyCompromise

# Deep chain: root-ca -> deep-ca-1 -> deep-ca-2 -> deep-ca-3 -> deep-leaf.
new_ca deep-ca-1 root-ca   "$ORG/CN=tlspp test deep CA 1" ext_deep_ca
new_ca deep-ca-2 deep-ca-1 "$ORG/CN=tlspp test deep CA 2" ext_deep_ca
new_ca deep-ca-3 deep-ca-2 "$ORG/CN=tlspp test deep CA 3" ext_deep_ca
leaf deep-leaf deep-ca-3 ec ext_server_ec "$ORG/CN=localhost" "$LEAF_START" "$LEAF_END" "$LOCAL" \
    "$O/deep-ca-3.crt" "$O/deep-ca-2.crt" "$O/deep-ca-1.crt"
rm -f "$O"/deep-ca-[123].key   # not needed by tests

# Separate, untrusted root and a localhost leaf under it (chain = leaf only).
new_ca untrusted-ca self "$ORG/CN=tlspp untrusted root CA" ext_root
leaf untrusted untrusted-ca ec ext_server_ec "$ORG/CN=localhost" "$LEAF_START" "$LEAF_END" "$LOCAL"
rm -f "$O/untrusted-ca.key"

# Self-signed localhost leaf.
key_ec "$O/selfsigned.key"
ossl req -new -x509 -config "$CNF" -key "$O/selfsigned.key" -subj "$ORG/CN=localhost" \
    -extensions ext_selfsigned -days 825 -out "$O/selfsigned.crt"

# ---------------------------------------------------------------------------
# CRLs (valid now for 30 days): every CA of the trusted hierarchy, so that
# CRL_CHECK|CRL_CHECK_ALL succeeds for all good chains under root-ca.
: >"$O/crl.pem"
for ca in root-ca intermediate-ca deep-ca-1 deep-ca-2 deep-ca-3; do
    CA_DIR=$WORK/ca/$ca ossl ca -config "$CNF" -gencrl -crldays "$CRL_OCSP_DAYS" -out "$WORK/$ca.crl"
    cat "$WORK/$ca.crl" >>"$O/crl.pem"
done

# OCSP responses signed by the issuing intermediate itself.
ocsp_response intermediate-ca "$O/server-ecdsa.crt" "$O/ocsp-good.der"
ocsp_response intermediate-ca "$O/server-rsa.crt"   "$O/ocsp-good-rsa.der"
ocsp_response intermediate-ca "$O/revoked.crt"      "$O/ocsp-revoked.der"

# SHA-256 of some leaves' DER, lowercase hex without a newline: what libtls
# reports as a peer's certificate hash after "SHA256:".
for name in server-ecdsa server-rsa client; do
    ossl x509 -in "$O/$name.crt" -outform DER -out "$WORK/$name.der"
    ossl dgst -sha256 -r -out "$WORK/$name.dgst" "$WORK/$name.der"
    cut -d' ' -f1 "$WORK/$name.dgst" | tr -d '\n' >"$O/$name.sha256"
done

# ---------------------------------------------------------------------------
# Miscellaneous key material.
PASSWORD=tlspp-test-password
ossl pkcs8 -topk8 -v2 aes-256-cbc -in "$O/server-ecdsa.key" \
    -passout "pass:$PASSWORD" -out "$O/encrypted.key"
printf '%s' "$PASSWORD" >"$O/encrypted-password.txt"

key_ec "$O/key-mismatch.key"

printf -- '-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n' >"$O/garbage.pem"
: >"$O/empty.pem"

chmod 0644 "$O"/*
: >"$O/$MARKER"

# ---------------------------------------------------------------------------
# Replace OUTDIR with the staged PKI.
rm -rf "$OUTDIR"
mv "$STAGE" "$OUTDIR"
chmod 0755 "$OUTDIR"
