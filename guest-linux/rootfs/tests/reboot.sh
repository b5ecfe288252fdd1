# Asks to be rebooted (SCHEDOP_shutdown with SHUTDOWN_reboot); what follows is the host's call.
echo "TERN-REBOOT now"
reboot -f
echo "TERN-REBOOT refused"
