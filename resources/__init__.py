"""Packaged resources: icons (Lucide, ISC license; see icons/LICENSE-lucide.txt), styles."""
