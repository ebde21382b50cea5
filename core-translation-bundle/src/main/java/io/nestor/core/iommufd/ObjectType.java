package io.nestor.core.iommufd;

/**
 * The kinds of object an iommufd context holds ({@code enum iommufd_object_type}). A lookup names
 * the kind it expects; an object of another kind answers ENOENT, as in {@code iommufd_get_object}.
 */
public enum ObjectType {
    DEVICE,
    HWPT_PAGING,
    HWPT_NESTED,
    IOAS,
    FAULT,
    VIOMMU,
    VDEVICE,
    VEVENTQ
}
