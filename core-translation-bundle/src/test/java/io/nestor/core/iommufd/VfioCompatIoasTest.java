package io.nestor.core.iommufd;

import static io.nestor.core.iommufd.VfioCompatIoas.OP_CLEAR;
import static io.nestor.core.iommufd.VfioCompatIoas.OP_GET;
import static io.nestor.core.iommufd.VfioCompatIoas.OP_SET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.nestor.api.error.Errno;
import io.nestor.api.error.IommuException;
import org.junit.jupiter.api.Test;

/** IOMMU_VFIO_IOAS ({@code iommufd_vfio_ioas}): GET / SET / CLEAR of the context's compat IOAS. */
class VfioCompatIoasTest {
    private final IommufdFixture fx = new IommufdFixture();

    private int vfioIoas(int op, int ioasId) {
        return fx.context.vfioIoas(op, 0, ioasId);
    }

    private Errno errno(int op, int reserved, int ioasId) {
        return assertThrows(IommuException.class, () -> fx.context.vfioIoas(op, reserved, ioasId)).errno();
    }

    @Test
    void getBeforeAnySetIsEnodev() {
        fx.ioas();
        assertEquals(Errno.ENODEV, errno(OP_GET, 0, 0));
    }

    @Test
    void setThenGetReportsTheIoasAndASecondSetReplacesIt() {
        int a = fx.ioas();
        int b = fx.ioas();
        assertEquals(a, vfioIoas(OP_SET, a));
        assertEquals(a, vfioIoas(OP_GET, 0));
        assertEquals(a, vfioIoas(OP_GET, b), "GET ignores the ioas_id passed in");
        vfioIoas(OP_SET, b);
        assertEquals(b, vfioIoas(OP_GET, 0));
    }

    @Test
    void setTakesNoLastingUserOnTheIoas() {
        int a = fx.ioas();
        int before = fx.context.objects().users(a);
        vfioIoas(OP_SET, a);
        assertEquals(before, fx.context.objects().users(a));
    }

    @Test
    void setOfAnIdThatIsNotAnIoasIsEnoentAndKeepsThePrevious() {
        int a = fx.ioas();
        int hwpt = fx.hwpt(a);
        vfioIoas(OP_SET, a);
        assertEquals(Errno.ENOENT, errno(OP_SET, 0, hwpt));
        assertEquals(Errno.ENOENT, errno(OP_SET, 0, 999));
        assertEquals(Errno.ENOENT, errno(OP_SET, 0, 0));
        assertEquals(a, vfioIoas(OP_GET, 0), "a failed SET changes nothing");
    }

    @Test
    void clearForgetsTheCompatIoasButKeepsTheIoas() {
        int a = fx.ioas();
        vfioIoas(OP_SET, a);
        vfioIoas(OP_CLEAR, 0);
        assertEquals(Errno.ENODEV, errno(OP_GET, 0, 0));
        assertEquals(1, fx.context.objects().users(a), "the IOAS is still in the table");
        vfioIoas(OP_CLEAR, 0); // CLEAR with nothing set succeeds too
        assertEquals(Errno.ENODEV, errno(OP_GET, 0, 0));
    }

    @Test
    void destroyingTheCompatIoasSucceedsAndForgetsIt() {
        int a = fx.ioas();
        vfioIoas(OP_SET, a);
        fx.context.destroy(a); // no EBUSY: the compat pointer is weak
        assertEquals(Errno.ENODEV, errno(OP_GET, 0, 0));
        assertEquals(Errno.ENOENT, errno(OP_SET, 0, a));
        int b = fx.ioas();
        assertEquals(Errno.ENODEV, errno(OP_GET, 0, 0), "a new IOAS does not become the compat one");
        vfioIoas(OP_SET, b);
        assertEquals(b, vfioIoas(OP_GET, 0));
    }

    @Test
    void reservedIsCheckedBeforeTheOpAndUnknownOpsAreEopnotsupp() {
        int a = fx.ioas();
        assertEquals(Errno.EOPNOTSUPP, errno(OP_SET, 1, a));
        assertEquals(Errno.ENODEV, errno(OP_GET, 0, 0), "the rejected SET changed nothing");
        assertEquals(Errno.EOPNOTSUPP, errno(OP_GET, 0x8000, 0), "reserved before the op's own ENODEV");
        assertEquals(Errno.EOPNOTSUPP, errno(3, 0, a));
        assertEquals(Errno.EOPNOTSUPP, errno(0xffff, 0, a));
        assertEquals(Errno.EOPNOTSUPP, errno(-1, 0, a));
    }

    @Test
    void aClosedContextIsEbadf() {
        int a = fx.ioas();
        vfioIoas(OP_SET, a);
        fx.context.close();
        assertEquals(Errno.EBADF, errno(OP_GET, 0, 0));
    }
}
