/*  interaction_log.c - interaction history, requests and complaints; see interaction_log.h.  */
#include "interaction_log.h"

const crmq_rpc_method_t interaction_log_methods [] = {
    { NULL, NULL }
};
