-- The region references that resolve to no province (see int_region_codes): each 备案编号 code
-- and 属地 text the code table cannot place, with how many filings and approvals carry it and a few
-- of them, so a missing province is listed, not guessed. Also the references resolved only by
-- their prefix (a code the table does not hold), with resolution saying how far they resolve.
with

regions as (

    select * from {{ ref('int_region_codes') }}
    where resolution not in ('province', 'city', 'district')

),

filings as (

    select
        {{ filing_number_region('filing_number') }} as region_ref,
        count(*) as filings_count,
        {{ string_list_agg('filing_number') }} as numbers
    from {{ ref('fct_filings') }}
    group by 1

),

approvals as (

    select
        region as region_ref,
        count(*) as approvals_count,
        {{ string_list_agg('genai_number') }} as numbers
    from {{ ref('int_genai_approvals') }}
    group by 1

),

final as (

    select
        regions.ref_kind,
        regions.region_ref,
        regions.resolution,
        regions.province,
        regions.city,
        cast(coalesce(filings.filings_count, 0) as integer) as filings_count,
        cast(coalesce(approvals.approvals_count, 0) as integer) as approvals_count,
        coalesce(filings.numbers, approvals.numbers) as numbers
    from regions
    left join filings
        on regions.ref_kind = 'adcode' and regions.region_ref = filings.region_ref
    left join approvals
        on regions.ref_kind = 'province_name' and regions.region_ref = approvals.region_ref

)

select * from final
