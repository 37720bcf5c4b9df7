-- One row per generative-AI approval (备案号 / 上线编号, as printed): a model filed with the CAC
-- (approval_kind 'filing'), an application registered locally ('registration') or an on-device 手机端侧
-- service ('ondevice'), from the first list that shows it (a yearly summary never adds one). Rows are
-- kept as printed, except that a row printed with model and organisation swapped is shown corrected
-- (`is_corrected`; the cells as printed in model_name_raw / entity_name_raw); `quirks` and
-- `is_late_registration` say what is irregular about them, and `is_synthetic` marks rows of lists the
-- mirror invented (never true with the real data). The 属地 is resolved to a province (int_region_codes)
-- as in the other marts; the organisation's English name is dim_entities' (int_entity_english_names),
-- its group int_entity_aliases' (the reviewed seed entity_aliases).
with

approvals as (

    select * from {{ ref('int_genai_approvals') }}

),

entities as (

    select
        entity_name_zh,
        group_name_en
    from {{ ref('int_entity_aliases') }}
    where entity_name_zh is not null

),

english as (

    select * from {{ ref('int_entity_english_names') }}

),

regions as (

    select * from {{ ref('int_region_codes') }}
    where ref_kind = 'province_name'

),

final as (

    select
        approvals.genai_number,
        approvals.approval_kind,
        approvals.seq,
        regions.province_code,
        regions.province,
        approvals.region as province_raw,
        approvals.model_name,
        approvals.model_name_raw,
        approvals.entity_name,
        approvals.entity_name_raw,
        approvals.is_corrected,
        english.name_en as entity_name_en,
        entities.group_name_en as entity_group,
        approvals.scenario,
        approvals.approved_date,
        approvals.date_basis,
        approvals.date_precision,
        approvals.announced_date,
        approvals.announced_precision,
        approvals.announced_latest,
        approvals.announced_basis,
        approvals.filed_text,
        approvals.is_late_registration,
        approvals.quirks,
        approvals.is_synthetic,
        approvals.list_id,
        approvals.period,
        approvals.published_at,
        approvals.lists_count,
        approvals.notice_url,
        approvals.document_url,
        approvals.observed_at

    from approvals
    left join entities
        on approvals.entity_name = entities.entity_name_zh
    left join english
        on approvals.entity_name = english.entity_name
    left join regions
        on approvals.region = regions.region_ref
    qualify row_number() over (partition by approvals.genai_number order by entities.group_name_en) = 1

)

select * from final
