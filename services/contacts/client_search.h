/*  client_search.h - search, duplicates and merge.  */
#ifndef CLIENT_SEARCH_H_INCLUDED
#define CLIENT_SEARCH_H_INCLUDED

#include "contacts_common.h"

extern const crmq_rpc_method_t client_search_methods [];

#endif
