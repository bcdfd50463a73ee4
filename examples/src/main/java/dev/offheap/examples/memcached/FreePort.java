package dev.offheap.examples.memcached;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Prints a loopback port free at this moment, for the scripts that start servers. */
public final class FreePort {
    private FreePort() {
    }

    public static void main(String[] args) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            System.out.println(s.getLocalPort());
        }
    }
}
