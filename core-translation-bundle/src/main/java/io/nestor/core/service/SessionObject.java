package io.nestor.core.service;

import io.nestor.core.iommufd.ObjectType;

/**
 * One object of a session's iommufd context, as the operator's shell lists it.
 *
 * @param session the session's id
 * @param iommufd the context's handle in the session
 * @param id the object's id in the context
 * @param type its kind
 * @param users its users, the table's included (DESTROY succeeds only at 1)
 * @param detail what the object says of itself (for example an HWPT's unit and domain tag)
 */
public record SessionObject(String session, int iommufd, int id, ObjectType type, int users, String detail) {
}
