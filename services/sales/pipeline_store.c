/*  pipeline_store.c - pipelines of deal stages; see pipeline_store.h.  */
#include "pipeline_store.h"
#include "sales_server.h"

static const char *SQL_PIPELINES =
    "SELECT id, name, is_default, version," DEAL_US ("updated_at")
    "  FROM sales.pipelines WHERE $1::bigint IS NULL OR id = $1::bigint ORDER BY id";

static const char *SQL_STAGES =
    "SELECT s.pipeline_id, s.id, s.name, s.position, s.probability::text, s.rotting_days,"
    "       s.outcome, (SELECT count (*) FROM sales.deals d WHERE d.stage_id = s.id)"
    "  FROM sales.stages s"
    " WHERE s.removed_at IS NULL AND ($1::bigint IS NULL OR s.pipeline_id = $1::bigint)"
    " ORDER BY s.pipeline_id, s.position";

static const char *SQL_LOCK_PIPELINE =
    "SELECT id FROM sales.pipelines WHERE id = $1::bigint FOR UPDATE";

static const char *SQL_NAME_TAKEN =
    "SELECT id FROM sales.pipelines WHERE lower (name) = lower ($1) AND id <> $2::bigint";

//  the stage names of a request as they compare (any case), in order
static const char *SQL_LOWER_NAMES =
    "SELECT lower (name) FROM unnest ($1::text[]) WITH ORDINALITY AS t (name, n) ORDER BY n";

static const char *SQL_INSERT_PIPELINE =
    "INSERT INTO sales.pipelines (name) VALUES ($1) RETURNING id";

//  the live stages, locked: a deal entering one of them waits for the save
//  (and then finds a stage taken out gone)
static const char *SQL_LOCK_STAGES =
    "SELECT id FROM sales.stages WHERE pipeline_id = $1::bigint AND removed_at IS NULL"
    " ORDER BY id FOR UPDATE";

//  ... and then, in a statement that sees every deal that entered them
//  before the lock, what they are and hold
static const char *SQL_LIVE_STAGES =
    "SELECT s.id, lower (s.name), s.outcome,"
    "       (SELECT count (*) FROM sales.deals d WHERE d.stage_id = s.id)"
    "  FROM sales.stages s WHERE s.pipeline_id = $1::bigint AND s.removed_at IS NULL"
    " ORDER BY s.position";

static const char *SQL_REMOVE_STAGE =
    "UPDATE sales.stages SET removed_at = now () WHERE id = $1::bigint";

static const char *SQL_UPDATE_STAGE =
    "UPDATE sales.stages SET name = $2, position = $3::int, probability = $4::numeric,"
    "       rotting_days = $5::int, outcome = $6"
    " WHERE id = $1::bigint"
    "   AND (name, position, probability, rotting_days, outcome)"
    "       IS DISTINCT FROM ($2, $3::int, $4::numeric, $5::int, $6)";

static const char *SQL_INSERT_STAGE =
    "INSERT INTO sales.stages (name, position, probability, rotting_days, outcome, pipeline_id)"
    " VALUES ($2, $3::int, $4::numeric, $5::int, $6, $1::bigint)";

static const char *SQL_RENAME_PIPELINE =
    "UPDATE sales.pipelines SET name = $2 WHERE id = $1::bigint AND name <> $2";

//  the default moves: the pipeline that had it changes too
static const char *SQL_DROP_DEFAULT =
    "UPDATE sales.pipelines SET is_default = false, version = version + 1, updated_at = now ()"
    " WHERE is_default AND id <> $1::bigint";

static const char *SQL_TAKE_DEFAULT =
    "UPDATE sales.pipelines SET is_default = true WHERE id = $1::bigint AND NOT is_default";

static const char *SQL_BUMP_PIPELINE =
    "UPDATE sales.pipelines SET version = version + 1, updated_at = now () WHERE id = $1::bigint";

static const char *const s_outcomes [] = { "open", "won", "lost" };

//  --------------------------------------------------------------------------
//  Reading pipelines for replies

//  Pipelines with their stages; the strings point into the results.
typedef struct {
    PGresult *pipelines, *stages;
    Crmq__Pipeline *items;
    Crmq__Pipeline **pointers;
    Crmq__Stage *stage_items;
    Crmq__Stage **stage_pointers;
    Crmq__Decimal *probabilities;
    size_t count;
} pipeline_set_t;

static void
s_set_clear (pipeline_set_t *set)
{
    PQclear (set->pipelines);
    PQclear (set->stages);
    free (set->items);
    free (set->pointers);
    free (set->stage_items);
    free (set->stage_pointers);
    free (set->probabilities);
    memset (set, 0, sizeof *set);
}

//  Reads pipeline `id` (0: every pipeline) with its live stages.  Returns 0
//  (set->count may be 0), or -1 after a failed statement.  Clear the set
//  with s_set_clear.
static int
s_set_load (crmq_pg_t *pg, int64_t id, pipeline_set_t *set)
{
    memset (set, 0, sizeof *set);
    char text [24];
    const char *values [1] = { id? deal_id_text (id, text, sizeof text): NULL };
    set->pipelines = crmq_pg_exec (pg, SQL_PIPELINES, 1, values);
    set->stages = set->pipelines? crmq_pg_exec (pg, SQL_STAGES, 1, values): NULL;
    if (!set->stages)
        return -1;
    int pipelines = PQntuples (set->pipelines), stages = PQntuples (set->stages);
    set->count = (size_t) pipelines;
    set->items = (Crmq__Pipeline *) zmalloc ((pipelines + 1) * sizeof (Crmq__Pipeline));
    set->pointers = (Crmq__Pipeline **) zmalloc ((pipelines + 1) * sizeof (Crmq__Pipeline *));
    set->stage_items = (Crmq__Stage *) zmalloc ((stages + 1) * sizeof (Crmq__Stage));
    set->stage_pointers = (Crmq__Stage **) zmalloc ((stages + 1) * sizeof (Crmq__Stage *));
    set->probabilities = (Crmq__Decimal *) zmalloc ((stages + 1) * sizeof (Crmq__Decimal));
    //  both results are ordered by pipeline id: walk them together
    int s = 0;
    for (int row = 0; row < pipelines; row++) {
        Crmq__Pipeline *pipeline = &set->items [row];
        crmq__pipeline__init (pipeline);
        pipeline->id = deal_int_read (set->pipelines, row, 0);
        pipeline->name = PQgetvalue (set->pipelines, row, 1);
        pipeline->is_default = streq (PQgetvalue (set->pipelines, row, 2), "t");
        pipeline->version = deal_int_read (set->pipelines, row, 3);
        pipeline->updated_at_us = deal_int_read (set->pipelines, row, 4);
        while (s < stages && deal_int_read (set->stages, s, 0) < pipeline->id)
            s++;
        pipeline->stages = &set->stage_pointers [s];
        for (; s < stages && deal_int_read (set->stages, s, 0) == pipeline->id; s++) {
            Crmq__Stage *stage = &set->stage_items [s];
            crmq__stage__init (stage);
            stage->id = deal_int_read (set->stages, s, 1);
            stage->name = PQgetvalue (set->stages, s, 2);
            stage->position = (int32_t) deal_int_read (set->stages, s, 3);
            crmq__decimal__init (&set->probabilities [s]);
            deal_decimal_read (PQgetvalue (set->stages, s, 4), &set->probabilities [s].units,
                               &set->probabilities [s].nanos);
            stage->probability = &set->probabilities [s];
            stage->rotting_days = (int32_t) deal_int_read (set->stages, s, 5);
            stage->outcome = PQgetvalue (set->stages, s, 6);
            stage->deals = deal_int_read (set->stages, s, 7);
            set->stage_pointers [s] = stage;
            pipeline->n_stages++;
        }
        set->pointers [row] = pipeline;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  sales.SavePipeline

//  A checked stage of the request, as query parameters.
typedef struct {
    const char *outcome;                //  open, won, lost
    char probability [48];              //  decimal text
    char position [24], rotting_days [16];
    char lower [4 * DEAL_MAX_NAME + 1]; //  the name as names compare (lower case)
    int64_t id;                         //  the stage it saves: the request's, or by name, or 0
} stage_input_t;

typedef struct {
    Crmq__SavePipelineRequest *request;
    stage_input_t *stages;
    crmq_pg_t *pg;
    crmq_reply_t *reply;
} save_job_t;

//  Checks one stage of the request (see pipeline_store.h) and fills *input.
//  *final_seen says a won or lost stage came before.  Returns true, or false
//  after replying INVALID_ARGUMENT.
static bool
s_check_stage (crmq_reply_t *reply, const Crmq__Pipeline *pipeline, size_t i, bool *final_seen,
               stage_input_t *input)
{
    const Crmq__Stage *stage = pipeline->stages [i];
    char field [64];
    snprintf (field, sizeof field, "pipeline.stages[%zu].id", i);
    if (!deal_check_id (reply, field, stage->id))
        return false;
    if (stage->id && !pipeline->id) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                          "%s: the stages of a new pipeline are new (id 0)", field);
        return false;
    }
    for (size_t j = 0; stage->id && j < i; j++)
        if (pipeline->stages [j]->id == stage->id) {
            crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s repeats pipeline.stages[%zu].id",
                              field, j);
            return false;
        }
    input->id = stage->id;
    snprintf (field, sizeof field, "pipeline.stages[%zu].name", i);
    if (!deal_check (reply, field, stage->name, 1, DEAL_MAX_NAME, DEAL_NAME))
        return false;
    snprintf (field, sizeof field, "pipeline.stages[%zu].outcome", i);
    input->outcome = *stage->outcome? stage->outcome: "open";
    int outcome = 0;
    while (outcome < 3 && !streq (input->outcome, s_outcomes [outcome]))
        outcome++;
    if (outcome == 3) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s must be open, won or lost", field);
        return false;
    }
    bool final = outcome > 0;
    if (!final && *final_seen) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                          "%s: the open stages come before the won and lost ones", field);
        return false;
    }
    *final_seen = *final_seen || final;
    snprintf (field, sizeof field, "pipeline.stages[%zu].probability", i);
    int64_t units = stage->probability? stage->probability->units: streq (input->outcome, "won");
    int32_t nanos = stage->probability? stage->probability->nanos: 0;
    bool in_range = (units == 0 && nanos >= 0 && nanos < 1000000000) || (units == 1 && nanos == 0);
    if (!in_range || crmq_decimal_format (units, nanos, input->probability,
                                          sizeof input->probability) < 0) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s must be from 0 to 1", field);
        return false;
    }
    if (final && (units != (outcome == 1) || nanos != 0)) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field, "%s: a %s stage has probability %d",
                          field, input->outcome, outcome == 1);
        return false;
    }
    snprintf (field, sizeof field, "pipeline.stages[%zu].rotting_days", i);
    if (stage->rotting_days < 0 || stage->rotting_days > PIPELINE_MAX_ROTTING_DAYS
    ||  (final && stage->rotting_days != 0)) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, field,
                          final? "%s: a won or lost stage does not rot (0)": "%s must be 0..%d",
                          field, PIPELINE_MAX_ROTTING_DAYS);
        return false;
    }
    snprintf (input->position, sizeof input->position, "%zu", i + 1);
    snprintf (input->rotting_days, sizeof input->rotting_days, "%d", stage->rotting_days);
    return true;
}

//  Checks everything about the request that needs no database.  Returns
//  true, or false after replying INVALID_ARGUMENT.
static bool
s_check_pipeline (crmq_reply_t *reply, const Crmq__SavePipelineRequest *request,
                  stage_input_t *stages)
{
    const Crmq__Pipeline *pipeline = request->pipeline;
    if (!deal_check_actor (reply, request->actor))
        return false;
    if (!pipeline) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "pipeline", "pipeline is missing");
        return false;
    }
    if (!deal_check_id (reply, "pipeline.id", pipeline->id)
    ||  !deal_check (reply, "pipeline.name", pipeline->name, 1, DEAL_MAX_NAME, DEAL_NAME))
        return false;
    if (pipeline->n_stages < 1 || pipeline->n_stages > PIPELINE_MAX_STAGES) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "pipeline.stages",
                          "pipeline.stages: 1 to %d stages, not %zu", PIPELINE_MAX_STAGES,
                          pipeline->n_stages);
        return false;
    }
    bool final_seen = false;
    int counts [3] = { 0, 0, 0 };
    for (size_t i = 0; i < pipeline->n_stages; i++) {
        if (!s_check_stage (reply, pipeline, i, &final_seen, &stages [i]))
            return false;
        counts [streq (stages [i].outcome, "open")? 0: streq (stages [i].outcome, "won")? 1: 2]++;
    }
    if (counts [0] < 1 || counts [1] != 1 || counts [2] < 1) {
        crmq_reply_error (reply, CRMQ_INVALID_ARGUMENT, "pipeline.stages",
                          "pipeline.stages: at least one open stage, exactly one won and at"
                          " least one lost stage (here %d open, %d won, %d lost)",
                          counts [0], counts [1], counts [2]);
        return false;
    }
    return true;
}

//  Reads the names of the request's stages as they compare into the inputs
//  and refuses a name given twice.  Returns 0, the code replied, or -1.
static int
s_stage_names (save_job_t *job)
{
    const Crmq__Pipeline *pipeline = job->request->pipeline;
    crmq_pg_array_t *names = crmq_pg_array_new ();
    for (size_t i = 0; i < pipeline->n_stages; i++)
        crmq_pg_array_append (names, pipeline->stages [i]->name);
    const char *values [1] = { crmq_pg_array_text (names) };
    PGresult *result = crmq_pg_exec (job->pg, SQL_LOWER_NAMES, 1, values);
    crmq_pg_array_destroy (&names);
    if (!result)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < pipeline->n_stages; i++) {
        snprintf (job->stages [i].lower, sizeof job->stages [i].lower, "%s",
                  PQgetvalue (result, (int) i, 0));
        for (size_t j = 0; rc == 0 && j < i; j++)
            if (streq (job->stages [i].lower, job->stages [j].lower)) {
                char field [64];
                snprintf (field, sizeof field, "pipeline.stages[%zu].name", i);
                rc = crmq_reply_error (job->reply, CRMQ_INVALID_ARGUMENT, field,
                                       "%s repeats the name of pipeline.stages[%zu]", field, j);
            }
    }
    PQclear (result);
    return rc;
}

//  Matches the request's stages to the pipeline's live ones (`live`, rows
//  of SQL_LIVE_STAGES): by id, then, for id 0, by name.  Refuses an id
//  that is not a live stage of the pipeline, taking out a stage that holds
//  deals, and changing the outcome of one that does.  Fills `taken_out`
//  (one flag a row).  Returns 0, the code replied, or -1.
static int
s_match_stages (save_job_t *job, const char *pipeline_id, PGresult *live, bool *taken_out)
{
    const Crmq__Pipeline *pipeline = job->request->pipeline;
    int rows = PQntuples (live);
    for (int row = 0; row < rows; row++)
        taken_out [row] = true;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < pipeline->n_stages; i++) {
            stage_input_t *input = &job->stages [i];
            if ((pass == 0) != (pipeline->stages [i]->id != 0))
                continue;
            int row = 0;
            while (row < rows && (pass == 0? deal_int_read (live, row, 0) != input->id
                                           : !taken_out [row]
                                          || !streq (PQgetvalue (live, row, 1), input->lower)))
                row++;
            if (row == rows && pass == 0) {
                char field [64];
                snprintf (field, sizeof field, "pipeline.stages[%zu].id", i);
                return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, field,
                                         "pipeline %s has no stage %" PRId64, pipeline_id, input->id);
            }
            if (row == rows)
                continue;               //  a new stage
            taken_out [row] = false;
            input->id = deal_int_read (live, row, 0);
            int64_t deals = deal_int_read (live, row, 3);
            if (deals && !streq (PQgetvalue (live, row, 2), input->outcome))
                return crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "pipeline.stages",
                                         "stage %" PRId64 " holds %" PRId64 " deals: its outcome"
                                         " stays %s", input->id, deals, PQgetvalue (live, row, 2));
        }
    for (int row = 0; row < rows; row++) {
        int64_t deals = deal_int_read (live, row, 3);
        if (taken_out [row] && deals)
            return crmq_reply_error (job->reply, CRMQ_FAILED_PRECONDITION, "pipeline.stages",
                                     "stage %s holds %" PRId64 " deals: move them to another"
                                     " stage before taking it out", PQgetvalue (live, row, 0), deals);
    }
    return 0;
}

//  Runs a write that may change one row; adds the rows it changed to
//  *changed.  Returns 0, or -1 after a failed statement.
static int
s_change (crmq_pg_t *pg, const char *sql, int count, const char *const *values, int *changed)
{
    PGresult *result = crmq_pg_exec (pg, sql, count, values);
    if (!result)
        return -1;
    *changed += atoi (PQcmdTuples (result));
    PQclear (result);
    return 0;
}

//  Writes the stages: takes out those left out, saves the others.  Adds the
//  rows changed to *changed.  Returns 0, the code replied, or -1.
static int
s_write_stages (save_job_t *job, const char *pipeline_id, int *changed)
{
    const Crmq__Pipeline *pipeline = job->request->pipeline;
    const char *values [1] = { pipeline_id };
    if (crmq_pg_command (job->pg, SQL_LOCK_STAGES, 1, values) != 0)
        return -1;
    PGresult *live = crmq_pg_exec (job->pg, SQL_LIVE_STAGES, 1, values);
    if (!live)
        return -1;
    bool *taken_out = (bool *) zmalloc ((PQntuples (live) + 1) * sizeof (bool));
    int rc = s_match_stages (job, pipeline_id, live, taken_out);
    for (int row = 0; rc == 0 && row < PQntuples (live); row++)
        if (taken_out [row]) {
            const char *id [1] = { PQgetvalue (live, row, 0) };
            rc = s_change (job->pg, SQL_REMOVE_STAGE, 1, id, changed);
        }
    for (size_t i = 0; rc == 0 && i < pipeline->n_stages; i++) {
        stage_input_t *input = &job->stages [i];
        char id [24];
        const char *stage [6] = {
            input->id? deal_id_text (input->id, id, sizeof id): pipeline_id,
            pipeline->stages [i]->name, input->position, input->probability,
            input->rotting_days, input->outcome
        };
        rc = s_change (job->pg, input->id? SQL_UPDATE_STAGE: SQL_INSERT_STAGE, 6, stage, changed);
    }
    free (taken_out);
    PQclear (live);
    return rc;
}

static int
s_save_tx (crmq_pg_t *pg, void *arg)
{
    save_job_t *job = (save_job_t *) arg;
    Crmq__Pipeline *pipeline = job->request->pipeline;
    for (size_t i = 0; i < pipeline->n_stages; i++)
        job->stages [i].id = pipeline->stages [i]->id;       //  again, on a retry
    int rc = crmq_request_key_claim (pg, &deal_request_keys, job->request->request_key,
                                     "sales.SavePipeline", &crmq__pipeline_reply__descriptor,
                                     job->reply);
    if (rc != 1)
        return rc;
    char id [24];
    deal_id_text (pipeline->id, id, sizeof id);
    const char *values [2] = { pipeline->name, id };
    if (pipeline->id) {
        PGresult *result = crmq_pg_exec (pg, SQL_LOCK_PIPELINE, 1, values + 1);
        if (!result)
            return -1;
        int found = PQntuples (result);
        PQclear (result);
        if (!found)
            return crmq_reply_error (job->reply, CRMQ_NOT_FOUND, "pipeline.id",
                                     "no pipeline with id %s", id);
    }
    PGresult *result = crmq_pg_exec (pg, SQL_NAME_TAKEN, 2, values);
    if (!result)
        return -1;
    char other [24] = "";
    if (PQntuples (result))
        snprintf (other, sizeof other, "%s", PQgetvalue (result, 0, 0));
    PQclear (result);
    if (*other)
        return crmq_reply_error (job->reply, CRMQ_ALREADY_EXISTS, "pipeline.name",
                                 "pipeline %s has this name", other);
    rc = s_stage_names (job);
    if (rc != 0)
        return rc;
    int changed = 0;
    if (!pipeline->id) {
        result = crmq_pg_exec (pg, SQL_INSERT_PIPELINE, 1, values);
        if (!result)
            return -1;
        snprintf (id, sizeof id, "%s", PQgetvalue (result, 0, 0));
        PQclear (result);
    }
    else
    if (s_change (pg, SQL_RENAME_PIPELINE, 2, (const char *[]) { id, pipeline->name }, &changed) != 0)
        return -1;
    rc = s_write_stages (job, id, &changed);
    if (rc != 0)
        return rc;
    const char *ids [1] = { id };
    if (pipeline->is_default
    && (crmq_pg_command (pg, SQL_DROP_DEFAULT, 1, ids) != 0
     || s_change (pg, SQL_TAKE_DEFAULT, 1, ids, &changed) != 0))
        return -1;
    if (pipeline->id && changed && crmq_pg_command (pg, SQL_BUMP_PIPELINE, 1, ids) != 0)
        return -1;
    pipeline_set_t set;
    if (s_set_load (pg, strtoll (id, NULL, 10), &set) != 0) {
        s_set_clear (&set);
        return -1;
    }
    Crmq__PipelineReply answer = CRMQ__PIPELINE_REPLY__INIT;
    answer.pipeline = set.count? set.pointers [0]: NULL;
    rc = crmq_request_key_finish (pg, &deal_request_keys, job->request->request_key, &answer.base);
    if (rc == 0)
        crmq_reply_ok (job->reply, &answer.base);
    s_set_clear (&set);
    return rc;
}

int
pipeline_store_save (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    Crmq__SavePipelineRequest *request = (Crmq__SavePipelineRequest *)
        deal_request_unpack (&crmq__save_pipeline_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    size_t count = request->pipeline? request->pipeline->n_stages: 0;
    stage_input_t *stages = (stage_input_t *) zmalloc ((count + 1) * sizeof (stage_input_t));
    int code = CRMQ_INVALID_ARGUMENT;
    if (s_check_pipeline (reply, request, stages)) {
        save_job_t job = { request, stages, sales_server_pg (state), reply };
        code = deal_transaction (job.pg, s_save_tx, &job, reply);
    }
    free (stages);
    crmq_message_free (&request->base);
    return code;
}

//  --------------------------------------------------------------------------
//  sales.ListPipelines

int
pipeline_store_list (void *state, const uint8_t *body, size_t size, crmq_reply_t *reply)
{
    crmq_pg_t *pg = sales_server_pg (state);
    Crmq__ListPipelinesRequest *request = (Crmq__ListPipelinesRequest *)
        deal_request_unpack (&crmq__list_pipelines_request__descriptor, body, size, reply);
    if (!request)
        return CRMQ_INVALID_ARGUMENT;
    crmq_message_free (&request->base);
    pipeline_set_t set;
    int code;
    if (s_set_load (pg, 0, &set) != 0)
        code = deal_db_error (pg, reply);
    else {
        Crmq__ListPipelinesReply answer = CRMQ__LIST_PIPELINES_REPLY__INIT;
        answer.n_pipelines = set.count;
        answer.pipelines = set.pointers;
        code = crmq_reply_ok (reply, &answer.base);
    }
    s_set_clear (&set);
    return code;
}
