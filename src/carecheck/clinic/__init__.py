"""The counselor's side: the intake record with its override, the chart report and the FHIR export."""
