"""Real learners: import the Open University Learning Analytics Dataset (OULAD) into the raw tables.

Data: Kuzilek, J., Hlosta, M. and Zdrahal, Z. (2017), "Open University Learning Analytics
dataset", Scientific Data 4, 170171, doi:10.1038/sdata.2017.171. Licensed CC BY 4.0: keep
this attribution with any copy or table derived from it.

Reads the seven OULAD CSV files of a folder (any module and presentation; filters
optional), maps them to the raw tables of `pipeline_health.schemas` and loads them with a
`RawLoader` (reference tables replaced whole, event partitions replaced per day, so an
import is idempotent). The pipeline's own dbt models then score the learners
(`pipeline_health.oulad.scoring`). Mapping (full version: docs/oulad_mapping.md):

* Calendar: day 0 of a presentation = first Monday of its start month ('YYYYB' =
  February, 'YYYYJ' = October); OULAD day d -> that date + d. Presentation weeks are ISO weeks.
* programme = module ('OU-AAA'; level 0 = not applicable, no off-the-job plan: 0 h/week);
  cohort = presentation ('OU-AAA-2013J', planned end = day 0 + module_presentation_length);
  apprentice = student x presentation ('OU-AAA-2013J-11391'); one placeholder employer
  ('OU-NO-EMPLOYER', size 'unknown'); no coach: coach_id '-1', dim_coach's unknown member
  (no coach row or contact is invented); no email.
* Demographics: gender M/F -> Male/Female; ethnicity_group 'Unknown' (not recorded);
  imd_band decile -> IMD quintile ('0-10%'/'10-20%' -> 1 ... '80-90%'/'90-100%' -> 5,
  missing -> NULL); disability Y/N -> has_ldd (category 'Not specified').
* Timeline: first day in learning = max(day 0, date_registration); a date_unregistration
  on or before the presentation's length is the withdrawal day ('Withdrawn', reason
  withdrawn), whatever final_result says; otherwise at day module_presentation_length:
  Pass/Distinction -> 'Completed' (completed), Fail -> 'Completed' (reason 'failed': the
  learner stayed to the end, not a withdrawal), final_result Withdrawn without a date ->
  'Withdrawn' (not a dated withdrawal for the evaluation). 'Active' (new_start) on the
  first day; a student who unregistered on or before it only gets 'Withdrawn' that day.
  Never 'At Risk', 'Delayed' or 'Promoted'.
* Weekly activity as attendance: one 'self_study_checkpoint' session of 60 minutes per
  presentation week the student is registered in, on the week's Monday 09:00 UTC, loaded
  on its Sunday (when the week's clicks are known): attended if the student clicked in the
  VLE in that week (before leaving), absent otherwise.
* Assessments as quizzes: each studentAssessment submission -> a quiz attempt on
  date_submitted (12:00 UTC) with its score. Not loaded (counted in the summary): banked
  results (carried over from an earlier presentation), submissions without a score, and
  submissions dated before day 0.
* Coach feedback, progress reviews, off-the-job hours: empty (OULAD has no such source).
"""

from __future__ import annotations

from pipeline_health.oulad.importer import ImportSummary, duckdb_event_days, import_oulad
from pipeline_health.oulad.reader import OuladData, OuladInputError, read_oulad

__all__ = ["ImportSummary", "OuladData", "OuladInputError", "duckdb_event_days", "import_oulad",
           "read_oulad"]
