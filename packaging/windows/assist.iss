; Inno Setup script for Windows. Build on Windows (cannot be built on the Linux CI machines):
;   1. py -3.11 -m venv .venv && .venv\Scripts\pip install -e .[test] pyinstaller
;   2. .venv\Scripts\pyinstaller --noconfirm build.spec        -> dist\assist\assist.exe
;   3. "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DVersion=0.1.0 packaging\windows\assist.iss
; Secrets go to Windows Credential Manager through keyring; nothing else needs installing.
#ifndef Version
  #define Version "0.1.0"
#endif

[Setup]
AppId={{7B0F3C4E-5B8A-4E55-9C1E-5A2C1D0A7F11}
AppName=Assist
AppVersion={#Version}
AppPublisher=Assist contributors
DefaultDirName={autopf}\Assist
DefaultGroupName=Assist
OutputDir=..\..\dist
OutputBaseFilename=assist-{#Version}-setup
Compression=lzma2
SolidCompression=yes
PrivilegesRequired=lowest
SetupIconFile=..\icons\assist.ico
UninstallDisplayIcon={app}\assist.exe

[Files]
Source: "..\..\dist\assist\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Assist"; Filename: "{app}\assist.exe"
Name: "{userdesktop}\Assist"; Filename: "{app}\assist.exe"; Tasks: desktopicon

[Tasks]
Name: desktopicon; Description: "Create a desktop icon"; Flags: unchecked

[Run]
Filename: "{app}\assist.exe"; Description: "Start Assist"; Flags: nowait postinstall skipifsilent
