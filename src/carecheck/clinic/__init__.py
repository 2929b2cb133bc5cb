"""The counselor's side: the intake record with its override, records read back and exported, the chart, FHIR."""
