package io.nestor.itests.support;

/** The failure of a call that must fail, for assertions on its status and errno. */
public final class Failures {
    private Failures() {
    }

    /** A call that returns nothing useful. */
    public interface Call {
        void run();
    }

    /** The {@link RpcFailure} {@code call} ends with; an {@link AssertionError} when it succeeds. */
    public static RpcFailure failureOf(String what, Call call) {
        try {
            call.run();
        } catch (RpcFailure e) {
            return e;
        }
        throw new AssertionError(what + " succeeded; it must fail");
    }

    /** "CODE/ERRNO" of the failure, for comparing two failures or naming the expected one. */
    public static String statusOf(String what, Call call) {
        RpcFailure f = failureOf(what, call);
        return f.code() + "/" + f.reason();
    }
}
