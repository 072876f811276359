# Project manifest of the Pipeline Health LookML project.
# The dbt marts land in the BigQuery dataset <prefix>marts (dbt/macros/generate_schema_name.sql);
# the default prefix is "pipeline_health_". Override these constants per environment
# (Project settings > Constants, or in an importing project) instead of editing the views.

project_name: "pipeline_health"

constant: marts_dataset {
  value: "pipeline_health_marts"
  export: override_optional
}

constant: connection_name {
  value: "pipeline_health_bigquery"
  export: override_optional
}
