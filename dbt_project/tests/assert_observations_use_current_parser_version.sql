-- Filing observations come only from the current parser version of their document (after a
-- replay, the newest parser's records replace the older ones).
select observations.filing_number, observations.list_id, observations.parser_version,
    versions.current_parser_version
from {{ ref('int_filing_observations') }} as observations
inner join {{ ref('int_document_parser_versions') }} as versions
    on observations.document_digest = versions.document_digest
where observations.parser_version <> versions.current_parser_version
