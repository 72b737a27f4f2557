package dev.palisade.platform;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class PalisadeApplication {

    public static void main(String[] args) {
        SpringApplication.run(PalisadeApplication.class, args);
    }
}
