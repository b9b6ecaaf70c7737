"""Synthetic heritage data in the project's model, for benchmarks and tests (`kg synth`).

Public API:

- `synthesize(out_dir, *, sites, seed, vocab_dir, violations=0.0) -> SynthReport`: deterministic
  (same seed and vocabularies → byte-identical files), streamed to disk, conforming to
  ontology/shapes/ apart from the counted deliberate violations listed in the manifest.
- `MANIFEST_NAME`: the JSON file in the output directory that counts files, triples and violations.
"""

from __future__ import annotations

from kg.synth.generate import MANIFEST_NAME, SynthReport, synthesize

__all__ = ["MANIFEST_NAME", "SynthReport", "synthesize"]
