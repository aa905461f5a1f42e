"""The system register: "Mina system", a system's page, the coordinator's register."""
