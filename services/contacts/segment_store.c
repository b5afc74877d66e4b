/*  segment_store.c - segments; see segment_store.h.  */
#include "segment_store.h"

const crmq_rpc_method_t segment_store_methods [] = {
    { NULL, NULL }
};
