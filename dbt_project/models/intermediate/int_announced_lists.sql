-- One row per list attachment announced on a CAC notice page (latest version of each notice),
-- whether or not the attachment could be fetched and parsed: lets the marts show lists the
-- regulator published that are not (yet) in the warehouse. first_announced_at: the first fetch of a
-- notice version announcing the attachment (the list is known from then on).
with

notices as (

    select
        *,
        row_number() over (partition by notice_url order by observed_at desc, event_id asc) as recency
    from {{ ref('stg_cac__notices') }}

),

attachments as (

    select
        notices.notice_url,
        notices.title as notice_title,
        notices.published_at as notice_published_at,
        notices.recency,
        notices.observed_at,
        -- attachment is a struct column (the unnested list), not a table: RF01 does not apply
        -- noqa: disable=RF01
        attachment.url as attachment_url,
        attachment.label as attachment_label,
        attachment.file_name,
        attachment.batch_label,
        attachment.expected_count
        -- noqa: enable=RF01
    from notices,
        unnest({{ json_struct_list('attachments_json',
            '{"label": "VARCHAR", "file_name": "VARCHAR", "url": "VARCHAR", '
            ~ '"batch_label": "VARCHAR", "expected_count": "INTEGER"}') }}) as unnested (attachment)

),

announced_since as (

    select
        attachment_url,
        min(observed_at) as first_announced_at
    from attachments
    group by attachment_url

),

typed as (

    select
        case
            when attachments.file_name like '%深度合成%' then 'deep_synthesis'
            when attachments.file_name like '%互联网信息服务算法%' then 'algo_recommendation'
        end as list_type,
        attachments.*,
        announced_since.first_announced_at
    from attachments
    inner join announced_since
        on attachments.attachment_url = announced_since.attachment_url
    where attachments.recency = 1

),

final as (

    select
        list_type || ':' || batch_label as list_id,
        list_type,
        batch_label,
        notice_url,
        notice_title,
        notice_published_at,
        first_announced_at,
        attachment_url,
        attachment_label,
        file_name,
        expected_count
    from typed
    where list_type is not null and batch_label is not null
    qualify row_number() over (partition by list_type, batch_label order by notice_published_at, notice_url) = 1

)

select * from final
