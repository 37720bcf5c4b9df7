-- Every version of every filing (int_filing_versions) with what the timeline says about its list:
-- the list's title (its id when the list has no title) and the notice page that published it.
with

versions as (

    select * from {{ ref('int_filing_versions') }}

),

lists as (

    select * from {{ ref('int_list_publications') }}

),

final as (

    select
        versions.*,
        coalesce(lists.title, versions.list_id) as list_title,
        lists.notice_url,
        {{ string_list_join('versions.changed_fields', ', ') }} as changed_fields_text
    from versions
    left join lists
        on versions.list_id = lists.list_id

)

select * from final
