"""Manifest text for tests that write their own workspace."""

# A minimal flux model: `FLUX_MODEL.format(name="hero", images="img/*.png")`.
FLUX_MODEL = """\
apiVersion: trainops/v1
kind: Model
metadata:
  name: {name}
spec:
  type: flux.1-lora
  trainingImages: [{images}]
"""
