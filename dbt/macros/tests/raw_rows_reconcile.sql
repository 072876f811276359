{#-
    Nothing lost or invented between raw and staging: fails for every row of `model` where
    raw_rows != staged_rows + rejected_rows (column names overridable).
-#}
{% test raw_rows_reconcile(model, raw_column='raw_rows', staged_column='staged_rows', rejected_column='rejected_rows') %}

select *
from {{ model }}
where {{ raw_column }} != {{ staged_column }} + {{ rejected_column }}

{% endtest %}
