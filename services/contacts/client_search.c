/*  client_search.c - search, duplicates and merge; see client_search.h.  */
#include "client_search.h"

const crmq_rpc_method_t client_search_methods [] = {
    { NULL, NULL }
};
