/*  pipeline_store.h - pipelines of deal stages in crmq-sales.

    sales.SavePipeline   SavePipelineRequest -> PipelineReply (as stored)
        pipeline.id 0 creates a pipeline, otherwise saves pipeline.id
        (NOT_FOUND "pipeline.id").  The stages sent are the pipeline's whole
        list, in order (position 1, 2, ...): a stage with an id keeps its
        identity (renamed, reordered, changed); a stage with id 0 is the
        pipeline's live stage of that name, if any (names compare in any
        case), else a new one, so a resend changes nothing; a stage left
        out is taken out of the pipeline (kept, hidden, for the history of
        deals that passed through it).  Checks: name 1..300 bytes, a name
        (crmq_name_valid), unique among pipelines in any case
        (ALREADY_EXISTS "pipeline.name"); 1..50 stages, each named as a
        pipeline, names unique in the pipeline in any case, outcome open
        (or empty), won or lost, the open stages first, at least one open
        stage, exactly one won and at least one lost stage; probability
        0..1 (unset: 0, won 1), 1 for the won stage and 0 for lost ones;
        rotting_days 0..3650, 0 for won and lost stages; ids of stages of
        this pipeline (NOT_FOUND "pipeline.stages[i].id"), none twice, none
        for a new pipeline.  A stage that holds deals cannot be taken out
        nor change its outcome (FAILED_PRECONDITION "pipeline.stages").
        is_default true makes the pipeline the default one (the pipeline of
        new deals that name none); false leaves the default where it is.
        Nothing changes (not the version) when nothing differs.  A new
        pipeline takes a request_key (crmq_request_key.h).
    sales.ListPipelines  ListPipelinesRequest -> ListPipelinesReply
        Every pipeline by id with its live stages in order and the number
        of deals in each.

    The migration seeds a default pipeline "Sales": Qualification (0.1, 14
    days), Proposal (0.4, 14), Negotiation (0.7, 21), Won, Lost.           */
#ifndef PIPELINE_STORE_H_INCLUDED
#define PIPELINE_STORE_H_INCLUDED

#include "deal_common.h"

#define PIPELINE_MAX_STAGES       50
#define PIPELINE_MAX_ROTTING_DAYS 3650

//  The handlers of the methods above (crmq_rpc_handler_fn); `state` is
//  crmq-sales' (sales_server.h).
int pipeline_store_save (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply);
int pipeline_store_list (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply);

#endif
