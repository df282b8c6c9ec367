#!/usr/bin/env bash
# Fails when a visible string is not in the catalogues, a French entry is untranslated or
# fuzzy, or a compiled catalogue is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

$PY manage.py makemessages -l fr -l en -i '.venv/*' -i 'var/*' --no-obsolete --no-location >/dev/null
if ! git diff --quiet -I '^"POT-Creation-Date' -- perisco/locale; then
  echo "Translation catalogues are out of date: run 'make messages' and translate."
  git diff --stat -- perisco/locale
  exit 1
fi
git checkout -q -- perisco/locale  # only the creation date changed
stats=$(msgfmt --check --statistics -o /dev/null perisco/locale/fr/LC_MESSAGES/django.po 2>&1)
echo "fr: $stats"
if grep -qE "untranslated|fuzzy" <<<"$stats"; then
  echo "The French catalogue has untranslated or fuzzy entries."
  exit 1
fi
for lang in fr en; do
  msgfmt --check -o "/tmp/perisco-$lang.mo" "perisco/locale/$lang/LC_MESSAGES/django.po"
  if ! cmp -s "/tmp/perisco-$lang.mo" "perisco/locale/$lang/LC_MESSAGES/django.mo"; then
    echo "perisco/locale/$lang/LC_MESSAGES/django.mo is stale: run 'make messages'."
    exit 1
  fi
done
