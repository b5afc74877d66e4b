/*  segment_store.h - segments.  */
#ifndef SEGMENT_STORE_H_INCLUDED
#define SEGMENT_STORE_H_INCLUDED

#include "contacts_common.h"

extern const crmq_rpc_method_t segment_store_methods [];

#endif
