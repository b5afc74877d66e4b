/*  notify_targets.h - the notify.AddTarget, ListTargets and RemoveTarget
    handlers over notify.targets.

    A target is where alerts go: a webhook URL or an e-mail address, with a
    topic prefix choosing which of the consumed events it gets.  Targets are
    not edited: remove one and add it again.  Removing deactivates (the
    deliveries made to it stay listed) and ends its pending deliveries as
    dead ("target removed"); the name is then free for a new target.        */
#ifndef NOTIFY_TARGETS_H_INCLUDED
#define NOTIFY_TARGETS_H_INCLUDED

#include "crmq.h"

//  notify.AddTarget: NotifyAddTargetRequest -> NotifyTargetReply.
//  INVALID_ARGUMENT (field named) for a bad field, ALREADY_EXISTS when an
//  active target has the name.
int notify_targets_add (crmq_pg_t *pg, const uint8_t *body, size_t size, crmq_reply_t *reply);

//  notify.ListTargets: NotifyListTargetsRequest -> NotifyListTargetsReply,
//  by name.
int notify_targets_list (crmq_pg_t *pg, const uint8_t *body, size_t size, crmq_reply_t *reply);

//  notify.RemoveTarget: NotifyRemoveTargetRequest -> NotifyRemoveTargetReply.
//  NOT_FOUND when no active target has the name.
int notify_targets_remove (crmq_pg_t *pg, const uint8_t *body, size_t size, crmq_reply_t *reply);

#endif
